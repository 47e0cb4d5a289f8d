"""A deadline that would fall in a year the working calendar does not cover is shown as provisional
(暂定) in the inbox, never as 'no deadline' and never as a guessed date."""
from __future__ import annotations

import copy

import time_machine

from app.db import db
from app.queries.inbox import inbox
from app.services.accounts import actor_for
from app.models import User
from sqlalchemy import select
from app import clock
from tests.drive import ServiceDriver, ready
from tests.lifecycle_paths import ACCEPT_AND_REFER, SAMPLE_COMPLAINT
from tests.web.test_task_calendar_gap import LATE_DECEMBER


def test_the_inbox_marks_a_verification_due_in_an_unloaded_year_as_provisional(app, demo, staff_client):
    with time_machine.travel(LATE_DECEMBER, tick=True) as traveller:
        with app.app_context():
            driver = ServiceDriver(traveller)
            case_no, _code = driver.file(copy.deepcopy(SAMPLE_COMPLAINT))
            for step in ACCEPT_AND_REFER:
                driver.complete(case_no, step["task"], step["data"])
            verify = ready(driver.case(case_no).id, "verify")
            assert verify.due_at is None and verify.due_basis.get("provisional")
            handler = db.session.execute(select(User).where(User.username == "handler_hygov")).scalar_one()
            row = next(r for r in inbox(db.session, actor_for(handler), clock.now()).rows if r.case_no == case_no)
            assert row.provisional and row.due_at is None
            db.session.remove()
        page = staff_client("handler_hygov").get("/inbox").get_data(as_text=True)
        assert "暂定" in page and "待工作日历载入后确定" in page


def test_the_task_and_case_pages_show_the_provisional_deadline_with_its_reason(app, demo, staff_client):
    with time_machine.travel(LATE_DECEMBER, tick=True) as traveller:
        with app.app_context():
            driver = ServiceDriver(traveller)
            case_no, _code = driver.file(copy.deepcopy(SAMPLE_COMPLAINT))
            for step in ACCEPT_AND_REFER:
                driver.complete(case_no, step["task"], step["data"])
            task_id = ready(driver.case(case_no).id, "verify").id
            db.session.remove()
        client = staff_client("handler_hygov")
        task_page = client.get(f"/tasks/{task_id}").get_data(as_text=True)
        assert "暂定" in task_page and "待工作日历载入后确定" in task_page and "无期限" not in task_page
        assert "暂定" in client.get(f"/cases/{case_no}").get_data(as_text=True)
