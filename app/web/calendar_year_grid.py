"""One year of the working-day calendar as the calendar page draws it: twelve month grids (Monday
first) and the list of holiday periods and make-up working days (调休), each with where it comes
from — chinesecalendar's State Council data or an admin override with its document number."""
from __future__ import annotations

import calendar as gregorian
from dataclasses import dataclass
from datetime import date, timedelta
from typing import Iterable

import chinese_calendar

from app.calendar import WorkingCalendar
from app.errors import CalendarNotCovered

KINDS = ("workday", "weekend", "holiday", "makeup")

# chinesecalendar names its holidays in English; its enum carries the Chinese name
_CC_CHINESE = {h.value: h.chinese for h in chinese_calendar.Holiday}


@dataclass(frozen=True)
class Override:
    is_workday: bool
    note: str
    source_doc: str


@dataclass(frozen=True)
class DayCell:
    day: date
    kind: str  # one of KINDS
    name: str  # the holiday's name (or the admin's note); '' for an ordinary day
    source_doc: str  # document number of an admin override; '' otherwise


@dataclass(frozen=True)
class MonthGrid:
    month: int
    weeks: list[list[DayCell | None]]  # Monday first; None pads the first and last week


@dataclass(frozen=True)
class Span:
    """Consecutive days off (a holiday period) or one make-up working day, as the list shows them."""

    first: date
    last: date
    kind: str  # holiday | makeup
    name: str
    source_doc: str

    @property
    def days(self) -> int:
        return (self.last - self.first).days + 1


@dataclass(frozen=True)
class YearView:
    year: int
    covered: bool
    months: list[MonthGrid]
    spans: list[Span]

    @property
    def holiday_days(self) -> int:
        return sum(s.days for s in self.spans if s.kind == "holiday")

    @property
    def makeup_days(self) -> int:
        return sum(s.days for s in self.spans if s.kind == "makeup")


def overrides_from_rows(rows: Iterable[dict]) -> dict[date, Override]:
    """From `queries.calendar_view.year_overrides` rows."""
    return {date.fromisoformat(r["day"]): Override(bool(r["is_workday"]), r.get("note") or "", r.get("source_doc") or "")
            for r in rows}


def overrides_from_schedule(rows: Iterable[tuple[date, bool, str]], source_doc: str) -> dict[date, Override]:
    """From `app.calendar.parse_override_lines` (a pasted schedule being previewed)."""
    return {day: Override(is_workday, note, source_doc) for day, is_workday, note in rows}


def _cc_name(day: date, english: bool) -> str:
    raw = chinese_calendar.holidays.get(day) or chinese_calendar.workdays.get(day)
    if not raw:
        return ""
    name = getattr(raw, "value", raw)
    return name if english else _CC_CHINESE.get(name, name)


def _cell(cal: WorkingCalendar, day: date, overrides: dict[date, Override], english: bool) -> DayCell:
    weekend = day.weekday() >= 5
    own = overrides.get(day)
    workday = own.is_workday if own is not None else cal.is_workday(day)
    name = own.note if own is not None else _cc_name(day, english)
    if workday:
        kind = "makeup" if weekend else "workday"
    elif not weekend:
        kind = "holiday"
    else:  # a weekend: part of a holiday period when it is named as one
        kind = "holiday" if (own is not None or name) else "weekend"
    if kind in ("workday", "weekend") and own is None:
        name = ""
    return DayCell(day, kind, name, own.source_doc if own is not None else "")


def year_view(cal: WorkingCalendar, year: int, overrides: dict[date, Override], *, english: bool = False) -> YearView:
    """The year under `cal`; not covered: no months, no spans (the page says so instead of guessing)."""
    if not cal.is_year_covered(year):
        return YearView(year, False, [], [])
    try:
        cells = {}
        day = date(year, 1, 1)
        while day.year == year:
            cells[day] = _cell(cal, day, overrides, english)
            day += timedelta(days=1)
    except CalendarNotCovered:  # pragma: no cover - is_year_covered said yes
        return YearView(year, False, [], [])
    months = []
    for month in range(1, 13):
        weeks = [[cells[date(year, month, d)] if d else None for d in week]
                 for week in gregorian.Calendar(firstweekday=0).monthdayscalendar(year, month)]
        months.append(MonthGrid(month, weeks))
    return YearView(year, True, months, _spans(cells.values()))


def _spans(cells: Iterable[DayCell]) -> list[Span]:
    spans: list[Span] = []
    for cell in cells:
        if cell.kind not in ("holiday", "makeup"):
            continue
        last = spans[-1] if spans else None
        if (last is not None and cell.kind == "holiday" == last.kind and last.last + timedelta(days=1) == cell.day
                and (cell.name, cell.source_doc) == (last.name, last.source_doc)):
            spans[-1] = Span(last.first, cell.day, last.kind, last.name, last.source_doc)
        else:
            spans.append(Span(cell.day, cell.day, cell.kind, cell.name, cell.source_doc))
    return spans
