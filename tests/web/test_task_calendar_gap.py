"""The task page explains a deadline that falls in a year whose holidays are not loaded."""
from __future__ import annotations

import copy

import time_machine

from app.db import db
from tests.drive import ServiceDriver, ready
from tests.lifecycle_paths import ACCEPT_AND_REFER, SAMPLE_COMPLAINT, VERIFY_UNDISPUTED
from tests.web.conftest import csrf_from

LATE_DECEMBER = "2026-12-21T10:00:00+08:00"  # 20 working days from here reach 2027 (not in chinesecalendar 1.11)


def test_the_task_page_says_which_year_to_load_and_keeps_what_was_typed(app, demo, staff_client):
    with time_machine.travel(LATE_DECEMBER, tick=True) as traveller:
        with app.app_context():
            driver = ServiceDriver(traveller)
            case_no, _code = driver.file(copy.deepcopy(SAMPLE_COMPLAINT))
            for step in ACCEPT_AND_REFER + [VERIFY_UNDISPUTED]:
                driver.complete(case_no, step["task"], step["data"])
            task = ready(driver.case(case_no).id, "choose_remedy")
            task_id = task.id
            db.session.remove()
        client = staff_client("handler_hygov")
        page = client.get(f"/tasks/{task_id}")
        response = client.post(f"/tasks/{task_id}", data={
            "csrf_token": csrf_from(page.data), "remedy": "rectification", "rectify_workdays": "20",
            "remedy_note": "责令限期支付尾款。"})
        text = response.get_data(as_text=True)
        assert response.status_code == 422
        assert "2027年的节假日安排" in text and "责令限期支付尾款。" in text
