"""Working-day calendar: chinesecalendar for the years it covers, admin overrides win, no guessing.

A date in a year that neither chinesecalendar nor an admin-loaded year covers raises
CalendarNotCovered (never a silent Monday–Friday guess). Deadlines carry the rule, their start
and the calendar version so they can be re-derived later.
"""
from __future__ import annotations

import hashlib
import json
import re
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from typing import Any, Iterable, Mapping

import chinese_calendar

from app.clock import SHANGHAI, local
from app.errors import CalendarNotCovered

__all__ = [
    "Deadline",
    "WorkingCalendar",
    "chinesecalendar_years",
    "compute_due",
    "end_of_day",
    "parse_override_lines",
]

END_OF_DAY = time(23, 59, 59)


def chinesecalendar_years() -> range:
    """The years the installed chinesecalendar has State Council data for."""
    days = chinese_calendar.holidays.keys()
    return range(min(days).year, max(days).year + 1)


_CC_YEARS = chinesecalendar_years()
_CC_VERSION = getattr(chinese_calendar, "__version__", "unknown")


def _local_date(value: datetime | date) -> date:
    """The Asia/Shanghai calendar date of a moment (naive datetimes are UTC, as in app.clock)."""
    if isinstance(value, datetime):
        return local(value).date()
    if isinstance(value, date):
        return value
    raise TypeError(f"expected a date or datetime, got {type(value).__name__}")


def end_of_day(d: date) -> datetime:
    """Aware Asia/Shanghai 23:59:59 of the given date."""
    return datetime.combine(d, END_OF_DAY, tzinfo=SHANGHAI)


class WorkingCalendar:
    """Working days per the State Council schedule, including make-up workdays (调休)."""

    def __init__(self, overrides: Mapping[date, bool] | None = None, covered_years: Iterable[int] = ()):
        self._overrides: dict[date, bool] = {}
        for day, is_workday in (overrides or {}).items():
            self._overrides[_local_date(day)] = bool(is_workday)
        self._admin_years: frozenset[int] = frozenset(int(y) for y in covered_years)
        payload = json.dumps(
            {
                "chinesecalendar": _CC_VERSION,
                "overrides": sorted((d.isoformat(), w) for d, w in self._overrides.items()),
                "years": sorted(self._admin_years),
            },
            separators=(",", ":"),
        )
        self._version = "cal-" + hashlib.sha256(payload.encode()).hexdigest()[:12]
        # chinese_calendar answers one day in ~0.1 ms; pages and due-date arithmetic ask about the same
        # days over and over, and this object never changes once built
        self._cc_days: dict[date, bool] = {}

    # -- coverage -----------------------------------------------------------------------------
    @property
    def version(self) -> str:
        """Short stable hash of chinesecalendar's version, the overrides and the loaded years."""
        return self._version

    def is_year_covered(self, year: int) -> bool:
        return year in _CC_YEARS or year in self._admin_years

    def covered_years(self) -> list[int]:
        return sorted(set(_CC_YEARS) | self._admin_years)

    def coverage_warning(self, today: date) -> str | None:
        """From 1 December: a message while next year's schedule is not loaded (None otherwise)."""
        today = _local_date(today)
        if not self.is_year_covered(today.year):
            return (
                f"The working-day calendar does not cover the current year {today.year}; deadlines cannot be "
                f"computed. Load the {today.year} holiday schedule (State Council notice) now."
            )
        if today.month == 12 and not self.is_year_covered(today.year + 1):
            return (
                f"The working-day calendar does not cover {today.year + 1} yet; deadlines reaching into "
                f"{today.year + 1} cannot be computed. Load the {today.year + 1} holiday schedule "
                f"(State Council notice) before 1 January."
            )
        return None

    # -- single days --------------------------------------------------------------------------
    def is_workday(self, d: date | datetime) -> bool:
        day = _local_date(d)
        override = self._overrides.get(day)
        if override is not None:
            return override
        if day.year in _CC_YEARS:
            known = self._cc_days.get(day)
            if known is None:
                known = self._cc_days[day] = chinese_calendar.is_workday(day)
            return known
        if day.year in self._admin_years:
            # The admin loaded this year completely: every holiday and make-up day is an override,
            # so the remaining days follow the ordinary week.
            return day.weekday() < 5
        raise CalendarNotCovered(day.year)

    def next_workday(self, d: date) -> date:
        """d itself if it is a working day, else the next one."""
        while not self.is_workday(d):
            d += timedelta(days=1)
        return d

    # -- arithmetic ---------------------------------------------------------------------------
    def add_workdays(self, start: datetime | date, n: int) -> datetime:
        """End of the n-th working day after start's local date (n=0: start day or the next workday)."""
        n = _count(n)
        day = _local_date(start)
        if n == 0:
            return end_of_day(self.next_workday(day))
        remaining = n
        while remaining:
            day += timedelta(days=1)
            if self.is_workday(day):
                remaining -= 1
        return end_of_day(day)

    def add_calendar_days(self, start: datetime | date, n: int) -> datetime:
        """End of the day n natural days after start, moved on to the next working day if needed."""
        n = _count(n)
        return end_of_day(self.next_workday(_local_date(start) + timedelta(days=n)))

    def workdays_between(self, a: datetime | date, b: datetime | date) -> int:
        """Working days after a up to and including b (0 if b is not after a)."""
        first, last = _local_date(a), _local_date(b)
        count = 0
        day = first + timedelta(days=1)
        while day <= last:
            if self.is_workday(day):
                count += 1
            day += timedelta(days=1)
        return count


def _count(n: Any) -> int:
    if isinstance(n, bool) or not isinstance(n, int):
        raise TypeError(f"a day count must be an integer, got {n!r}")
    if n < 0:
        raise ValueError(f"a day count must not be negative, got {n}")
    return n


# -- deadline rules -------------------------------------------------------------------------------

@dataclass(frozen=True)
class Deadline:
    rule: str
    start: datetime
    due_at: datetime
    calendar_version: str
    inputs: dict[str, Any] = field(default_factory=dict)

    def as_dict(self) -> dict[str, Any]:
        return {
            "rule": self.rule,
            "start": self.start.isoformat(),
            "due_at": self.due_at.isoformat(),
            "calendar_version": self.calendar_version,
            "inputs": dict(self.inputs),
        }


_RULE_WORKDAYS = re.compile(r"^(\d{1,4})\s*(?:workdays?|working\s+days?)$", re.IGNORECASE)
_RULE_DAYS = re.compile(r"^(\d{1,4})\s*(?:days?|calendar\s+days?)$", re.IGNORECASE)
_RULE_UNTIL = re.compile(r"^until\s+([A-Za-z_][A-Za-z0-9_]*(?:\.[A-Za-z_][A-Za-z0-9_]*)*)$", re.IGNORECASE)

RULE_HELP = "expected 'N workdays', 'N days' or 'until <variable>' (e.g. '10 workdays', '5 days', 'until rectification_deadline')"


def compute_due(rule: str, start: datetime, calendar: WorkingCalendar, data: Mapping | None = None) -> Deadline:
    """Parse a due rule and compute the deadline from start.

    - ``N workdays``: end of the N-th working day after start;
    - ``N days``: N natural days after start, moved on to the next working day;
    - ``until <var>``: the ISO date/datetime in data[var] (dotted path allowed); a bare date means
      the end of that day, a naive datetime is Asia/Shanghai local time.
    """
    if not isinstance(rule, str) or not rule.strip():
        raise ValueError(f"empty due rule; {RULE_HELP}")
    text = " ".join(rule.split())
    if m := _RULE_WORKDAYS.match(text):
        n = int(m.group(1))
        return Deadline(f"{n} workdays", start, calendar.add_workdays(start, n), calendar.version, {"n": n})
    if m := _RULE_DAYS.match(text):
        n = int(m.group(1))
        return Deadline(f"{n} days", start, calendar.add_calendar_days(start, n), calendar.version, {"n": n})
    if m := _RULE_UNTIL.match(text):
        var = m.group(1)
        raw = _lookup(data or {}, var)
        if raw in (None, ""):
            raise ValueError(f"due rule {rule!r}: variable {var!r} is not set")
        due = _parse_moment(raw, f"due rule {rule!r}: variable {var!r}")
        return Deadline(f"until {var}", start, due, calendar.version, {"variable": var, "value": str(raw)})
    raise ValueError(f"unknown due rule {rule!r}; {RULE_HELP}")


def _lookup(data: Mapping, dotted: str) -> Any:
    value: Any = data
    for part in dotted.split("."):
        if not isinstance(value, Mapping) or part not in value:
            return None
        value = value[part]
    return value


def _parse_moment(raw: Any, what: str) -> datetime:
    if isinstance(raw, datetime):
        moment = raw
    elif isinstance(raw, date):
        return end_of_day(raw)
    else:
        text = str(raw).strip()
        try:
            if re.fullmatch(r"\d{4}-\d{2}-\d{2}", text):
                return end_of_day(date.fromisoformat(text))
            moment = datetime.fromisoformat(text)
        except ValueError:
            raise ValueError(f"{what}: {text!r} is not an ISO date or datetime") from None
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=SHANGHAI)
    return moment.astimezone(SHANGHAI)


# -- admin override lists -------------------------------------------------------------------------

_WORKDAY_WORDS = {"workday", "work", "working", "班", "上班", "工作日", "调休上班"}
_HOLIDAY_WORDS = {"holiday", "rest", "off", "休", "休息", "假", "放假", "节假日"}
_LINE = re.compile(r"^(\S+)[\s,，\t]+(\S+)(?:[\s,，\t]+(.*))?$")
MAX_RANGE_DAYS = 31


def parse_override_lines(text: str) -> list[tuple[date, bool, str]]:
    """Parse an admin's pasted schedule: ``YYYY-MM-DD holiday|workday [note]``, one per line.

    A range ``2027-02-10..2027-02-16 holiday 春节`` expands to each day. Blank lines and lines
    starting with ``#`` are skipped. A bad line raises ValueError naming its line number.
    """
    result: list[tuple[date, bool, str]] = []
    seen: dict[date, tuple[bool, int]] = {}
    for lineno, raw in enumerate(text.splitlines(), start=1):
        line = raw.strip().lstrip("\ufeff")
        if not line or line.startswith("#"):
            continue
        m = _LINE.match(line)
        if not m:
            raise ValueError(f"line {lineno}: expected 'YYYY-MM-DD holiday|workday [note]', got {raw.strip()!r}")
        day_text, kind_text, note = m.group(1), m.group(2), (m.group(3) or "").strip()
        kind = kind_text.lower()
        if kind in _WORKDAY_WORDS:
            is_workday = True
        elif kind in _HOLIDAY_WORDS:
            is_workday = False
        else:
            raise ValueError(f"line {lineno}: {kind_text!r} is neither 'holiday' nor 'workday'")
        for day in _parse_days(day_text, lineno):
            if day in seen and seen[day][0] != is_workday:
                raise ValueError(
                    f"line {lineno}: {day.isoformat()} contradicts line {seen[day][1]}"
                )
            if day in seen:
                continue
            seen[day] = (is_workday, lineno)
            result.append((day, is_workday, note))
    return result


def _parse_days(text: str, lineno: int) -> list[date]:
    parts = re.split(r"\.\.|~|～|/", text)
    if len(parts) > 2:
        raise ValueError(f"line {lineno}: {text!r} is not a date or a range 'YYYY-MM-DD..YYYY-MM-DD'")
    try:
        days = [date.fromisoformat(p) for p in parts if re.fullmatch(r"\d{4}-\d{2}-\d{2}", p)]
    except ValueError:
        raise ValueError(f"line {lineno}: {text!r} is not a real date") from None
    if len(days) != len(parts):
        raise ValueError(f"line {lineno}: {text!r} is not a date in the form YYYY-MM-DD")
    if len(days) == 1:
        return days
    first, last = days
    if last < first:
        raise ValueError(f"line {lineno}: range {text!r} ends before it starts")
    if (last - first).days >= MAX_RANGE_DAYS:
        raise ValueError(f"line {lineno}: range {text!r} is longer than {MAX_RANGE_DAYS} days")
    return [first + timedelta(days=i) for i in range((last - first).days + 1)]
