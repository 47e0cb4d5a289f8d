"""Time left on a task for read pages: working days to (or past) its due date and its urgency.

A task is overdue once its due time has passed and due soon while at most DUE_SOON_WORKDAYS working
days are left (`WorkingCalendar.workdays_between` semantics). Where the calendar does not cover a
date the day count is unknown and flagged; a page never fails on it.
"""
from __future__ import annotations

from datetime import date, datetime, time, timedelta

from app import clock
from app.errors import CalendarNotCovered

DUE_SOON_WORKDAYS = 2
URGENCIES = ("ok", "due_soon", "overdue")

_WORKDAYS: dict[str, dict[date, bool]] = {}  # calendar version -> day -> is a working day
_WORKDAYS_MAX = 20_000


def is_workday(calendar, day: date) -> bool:
    """calendar.is_workday, remembered per calendar version. chinesecalendar's own lookup costs about
    0.1 ms a call (it checks the date against the bounds of its whole table each time), and one page
    can ask about thousands of days (a task overdue for months). Uncovered days raise, uncached."""
    known = _WORKDAYS.setdefault(calendar.version, {})
    answer = known.get(day)
    if answer is None:
        answer = calendar.is_workday(day)
        if len(known) < _WORKDAYS_MAX:
            known[day] = answer
    return answer


def workdays_between(calendar, a: datetime, b: datetime) -> int:
    """WorkingCalendar.workdays_between: working days after a up to and including b (local dates)."""
    day, last = clock.local(a).date() + timedelta(days=1), clock.local(b).date()
    count = 0
    while day <= last:
        count += is_workday(calendar, day)
        day += timedelta(days=1)
    return count


def _start_of(day: date) -> datetime:
    return datetime.combine(day, time.min, tzinfo=clock.SHANGHAI)


def due_soon_limit(calendar, now: datetime) -> tuple[datetime, bool]:
    """The moment from which more than DUE_SOON_WORKDAYS working days are left: local midnight of
    the (DUE_SOON_WORKDAYS + 1)-th working day after today. A task due in [now, limit) is due soon.
    If the calendar stops covering the span first, the limit is the first uncovered day (True)."""
    day = clock.local(now).date()
    seen = 0
    while True:
        day += timedelta(days=1)
        try:
            if is_workday(calendar, day):
                seen += 1
        except CalendarNotCovered:
            return _start_of(day), True
        if seen > DUE_SOON_WORKDAYS:
            return _start_of(day), False


def days_left(calendar, now: datetime, due: datetime | None) -> tuple[int | None, bool]:
    """(working days left, negative once overdue; calendar not covered). None without a due date."""
    if due is None:
        return None, False
    try:
        if due >= now:
            return workdays_between(calendar, now, due), False
        return -workdays_between(calendar, due, now), False
    except CalendarNotCovered:
        return None, True


def urgency(due: datetime | None, now: datetime, soon: datetime) -> str:
    """"ok" | "due_soon" | "overdue", with `soon` from due_soon_limit (the inbox tabs use the same)."""
    if due is None:
        return "ok"
    if due < now:
        return "overdue"
    if due < soon:
        return "due_soon"
    return "ok"
