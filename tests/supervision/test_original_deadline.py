"""The league table never takes the extended deadline for the original one."""
from __future__ import annotations

from datetime import datetime

from app.calendar import WorkingCalendar
from app.clock import SHANGHAI
from app.queries.supervision import _original_due


def test_an_extension_is_undone_over_working_days():
    due = datetime(2026, 10, 13, 23, 59, 59, tzinfo=SHANGHAI)  # after National Day 2026
    original = _original_due(WorkingCalendar(), due, 6)  # 12, 10 (make-up Saturday), 9, 8, 30 Sep, 29 Sep
    assert original.date().isoformat() == "2026-09-29"


def test_when_the_days_cannot_be_counted_back_the_original_deadline_is_unknown():
    due = datetime(2027, 1, 8, 23, 59, 59, tzinfo=SHANGHAI)  # 2027 is not loaded
    assert _original_due(WorkingCalendar(), due, 5) is None
