"""The league table's period: a month, a quarter, a year or a custom from–to range of local dates
(Asia/Shanghai). One reader for the league page, its drill-down and its XLSX export, so every
link carries the same period in the same words (`Period.args()`)."""
from __future__ import annotations

import calendar as month_calendar
import re
from dataclasses import dataclass, field
from datetime import date, timedelta

from flask_babel import format_date
from flask_babel import gettext as _

KINDS = ("month", "quarter", "year", "custom")
MAX_DAYS = 366            # as the JSON API: a custom range spans at most a year
FIRST_YEAR = 2024         # the notice (蚌信用办〔2024〕1号) starts the mechanism
_MONTH = re.compile(r"^(\d{4})-(\d{1,2})$")
_QUARTER = re.compile(r"^(\d{4})-?Q([1-4])$", re.I)
_YEAR = re.compile(r"^\d{4}$")


@dataclass(frozen=True)
class Period:
    kind: str
    start: date
    end: date

    def args(self) -> dict[str, str]:
        """The query arguments that name this period (links, forms, export)."""
        if self.kind == "month":
            return {"period": "month", "month": f"{self.start.year:04d}-{self.start.month:02d}"}
        if self.kind == "quarter":
            return {"period": "quarter", "quarter": f"{self.start.year:04d}-Q{(self.start.month - 1) // 3 + 1}"}
        if self.kind == "year":
            return {"period": "year", "year": f"{self.start.year:04d}"}
        return {"period": "custom", "from": self.start.isoformat(), "to": self.end.isoformat()}

    def shifted(self, step: int) -> Period | None:
        """The previous (-1) or next (+1) month, quarter or year; None for a custom range."""
        if self.kind == "month":
            return month_period(_add_months(self.start, step))
        if self.kind == "quarter":
            return quarter_period(_add_months(self.start, 3 * step))
        if self.kind == "year":
            return year_period(self.start.year + step)
        return None

    @property
    def days(self) -> int:
        return (self.end - self.start).days + 1

    def label(self) -> str:
        if self.kind == "month":
            return _("%(year)s年%(month)s月", year=self.start.year, month=self.start.month,
                     month_name=format_date(self.start, "LLLL"))
        if self.kind == "quarter":
            return _("%(year)s年第%(q)s季度", year=self.start.year, q=(self.start.month - 1) // 3 + 1)
        if self.kind == "year":
            return _("%(year)s年", year=self.start.year)
        return _("%(start)s 至 %(end)s", start=self.start.isoformat(), end=self.end.isoformat())


@dataclass
class PeriodChoice:
    """What the request asked for: the period to show, the typed values, and field errors."""
    period: Period
    typed: dict[str, str] = field(default_factory=dict)
    errors: dict[str, str] = field(default_factory=dict)

    @property
    def form_kind(self) -> str:
        """The kind the chooser shows: the one asked for, even when its value could not be read."""
        asked = self.typed.get("period")
        return asked if self.errors and asked in KINDS else self.period.kind


def _add_months(day: date, months: int) -> date:
    index = day.year * 12 + day.month - 1 + months
    return date(index // 12, index % 12 + 1, 1)


def month_period(day: date) -> Period:
    last = month_calendar.monthrange(day.year, day.month)[1]
    return Period("month", day.replace(day=1), day.replace(day=last))


def quarter_period(day: date) -> Period:
    first = date(day.year, (day.month - 1) // 3 * 3 + 1, 1)
    return Period("quarter", first, _add_months(first, 3) - timedelta(days=1))


def year_period(year: int) -> Period:
    return Period("year", date(year, 1, 1), date(year, 12, 31))


def _iso(raw: str) -> date | None:
    try:
        return date.fromisoformat(raw)
    except ValueError:
        return None


def read_period(args, today: date) -> PeriodChoice:
    """The period named by `args` (a request's query arguments). Without one: the current month.
    Bare `from`/`to` (as the JSON API takes them) mean a custom range. A value that cannot be read
    gives a field error and the current month."""
    raw = {k: (args.get(k) or "").strip()[:20] for k in ("period", "month", "quarter", "year", "from", "to")}
    kind = raw["period"] or ("custom" if raw["from"] or raw["to"] else "month")
    fallback = month_period(today)
    typed = {k: v for k, v in raw.items() if v}
    if kind not in KINDS:
        return PeriodChoice(fallback, typed, {"period": _("请选择月度、季度、年度或自定义时段。")})
    if kind == "month":
        if not raw["month"]:
            return PeriodChoice(fallback, typed)
        m = _MONTH.match(raw["month"])
        if m and 1 <= int(m.group(2)) <= 12 and int(m.group(1)) >= 1900:
            return PeriodChoice(month_period(date(int(m.group(1)), int(m.group(2)), 1)), typed)
        return PeriodChoice(fallback, typed, {"month": _("月份格式应为 YYYY-MM。")})
    if kind == "quarter":
        if not raw["quarter"]:
            return PeriodChoice(quarter_period(today), typed)
        m = _QUARTER.match(raw["quarter"])
        if m and int(m.group(1)) >= 1900:
            return PeriodChoice(quarter_period(date(int(m.group(1)), (int(m.group(2)) - 1) * 3 + 1, 1)), typed)
        return PeriodChoice(fallback, typed, {"quarter": _("季度格式应为 YYYY-Q1 至 YYYY-Q4。")})
    if kind == "year":
        if not raw["year"]:
            return PeriodChoice(year_period(today.year), typed)
        if _YEAR.match(raw["year"]) and int(raw["year"]) >= 1900:
            return PeriodChoice(year_period(int(raw["year"])), typed)
        return PeriodChoice(fallback, typed, {"year": _("年份格式应为四位数字。")})
    start, end = _iso(raw["from"]), _iso(raw["to"])
    errors = {}
    if start is None:
        errors["from"] = _("请填写开始日期（YYYY-MM-DD）。")
    if end is None:
        errors["to"] = _("请填写结束日期（YYYY-MM-DD）。")
    if not errors and start > end:
        errors["to"] = _("结束日期不能早于开始日期。")
    if not errors and (end - start).days > MAX_DAYS:
        errors["to"] = _("时段最长 %(n)s 天。", n=MAX_DAYS)
    if errors:
        return PeriodChoice(fallback, typed, errors)
    return PeriodChoice(Period("custom", start, end), typed)


def months_of(period: Period, today: date, at_least: int = 6) -> list[Period]:
    """The calendar months a trend chart shows for the period: its months, and at least the
    `at_least` months up to its last one; never a month after the current one."""
    last = min(period.end, today).replace(day=1)
    first = min(period.start.replace(day=1), _add_months(last, -(at_least - 1)))
    months = []
    day = first
    while day <= last:
        months.append(month_period(day))
        day = _add_months(day, 1)
    return months


def quarter_choices(today: date) -> list[tuple[str, str]]:
    """Quarters from FIRST_YEAR to the current one, newest first: (value, label)."""
    out = []
    q = quarter_period(today)
    while q.start.year >= FIRST_YEAR:
        out.append((q.args()["quarter"], q.label()))
        q = q.shifted(-1)
    return out


def year_choices(today: date) -> list[str]:
    return [str(y) for y in range(today.year, FIRST_YEAR - 1, -1)]
