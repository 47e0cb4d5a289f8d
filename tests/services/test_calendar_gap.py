"""A deadline a model script computes into a year whose holidays are not loaded is refused with
the year to load — never a guessed date, never a generic process error — and nothing moves."""
from __future__ import annotations

import copy

import pytest
import time_machine

from app.db import db
from app.errors import CalendarNotCovered
from tests.drive import ServiceDriver, ready
from tests.lifecycle_paths import ACCEPT_AND_REFER, CHOOSE_RECTIFICATION, SAMPLE_COMPLAINT, VERIFY_UNDISPUTED

LATE_DECEMBER = "2026-12-21T10:00:00+08:00"  # 20 working days from here reach 2027 (not in chinesecalendar 1.11)


def test_a_rectification_deadline_in_an_unloaded_year_names_the_year_and_leaves_the_task_ready(app, demo):
    with app.app_context(), time_machine.travel(LATE_DECEMBER, tick=True) as traveller:
        driver = ServiceDriver(traveller)
        case_no, _code = driver.file(copy.deepcopy(SAMPLE_COMPLAINT))
        for step in ACCEPT_AND_REFER + [VERIFY_UNDISPUTED]:
            driver.complete(case_no, step["task"], step["data"])
        with pytest.raises(CalendarNotCovered) as refused:
            driver.complete(case_no, "choose_remedy", CHOOSE_RECTIFICATION["data"])
        assert refused.value.year == 2027
        assert ready(driver.case(case_no).id, "choose_remedy") is not None
        db.session.remove()

