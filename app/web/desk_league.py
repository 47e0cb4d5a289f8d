"""What the league page shows, assembled from the read side: the figures of
`queries.supervision.league_table` (the same numbers as the API and the XLSX), the case counts
behind them (`league_facts`, the sets the drill-down lists), the monthly trend and the overdue bars."""
from __future__ import annotations

import math
from dataclasses import dataclass, field
from datetime import date, datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from app.models import Case
from app.policy import Actor
from app.queries.supervision import Done, league_cases, league_facts, league_table
from app.services.reference_cache import reference_data
from app.web.desk_period import Period, months_of

# the numbers of a row that count cases: each links to the drill-down of the same metric
CASE_METRICS = ("received", "late_original", "late_extended", "overdue_now", "extensions", "returns", "reopened")
# metrics about completed stages: their drill-down lists the stages too
COMPLETION_METRICS = ("completed", "on_time_original", "late_original", "on_time_extended", "late_extended")


@dataclass
class LeagueRow:
    figures: dict                      # one row of league_table
    counts: dict[str, int]             # metric -> number of distinct cases behind it

    def __getattr__(self, name):
        try:
            return self.figures[name]
        except KeyError:
            raise AttributeError(name) from None


@dataclass
class MonthPoint:
    month: Period
    received: int
    completed: int
    on_time: int                       # stages completed by their (extended) deadline


@dataclass
class LeagueView:
    period: Period
    rows: list[LeagueRow]
    trend: list[MonthPoint] = field(default_factory=list)
    overdue: list[LeagueRow] = field(default_factory=list)   # orgs with clocks overdue now, most first

    @property
    def totals(self) -> dict[str, int]:
        keys = ("received", "completed", "overdue_now", "extensions", "returns", "reopened")
        return {k: sum(r.figures.get(k) or 0 for r in self.rows) for k in keys}


def league_view(session: Session, actor: Actor, now: datetime, period: Period, today: date) -> LeagueView:
    directory, _calendar = reference_data(session)
    facts = league_facts(session, actor, now, period.start, period.end)
    figures = league_table(session, actor, now, period.start, period.end, facts)
    rows = []
    for row in figures:
        f = facts.get(directory.id_of(row["org"]))
        rows.append(LeagueRow(row, {m: len(f.cases(m)) if f else 0 for m in CASE_METRICS}))
    overdue = sorted((r for r in rows if r.figures["overdue_now"]),
                     key=lambda r: (-r.figures["overdue_now"], r.figures["org"] or ""))
    return LeagueView(period, rows, trend(session, actor, now, period, today, facts), overdue)


def trend(session: Session, actor: Actor, now: datetime, period: Period, today: date,
          period_facts: dict | None = None) -> list[MonthPoint]:
    """Per calendar month: cases received, stages completed and stages completed on time.
    `period_facts`: the period's facts, reused when the period is exactly one month."""
    points = []
    for month in months_of(period, today):
        same = period_facts is not None and (month.start, month.end) == (period.start, period.end)
        facts = (period_facts if same else league_facts(session, actor, now, month.start, month.end)).values()
        points.append(MonthPoint(month, sum(len(f.received) for f in facts), sum(len(f.completed) for f in facts),
                                 sum(sum(d.on_time_extended for d in f.completed) for f in facts)))
    return points


@dataclass
class DrillDown:
    cases: list[dict]                  # league_cases rows (plus "stages" for completion metrics)
    stages: list[Done] = field(default_factory=list)  # the completed stages behind a completion metric

    @property
    def on_time_original(self) -> int:
        return sum(d.on_time_original for d in self.stages)

    @property
    def on_time_extended(self) -> int:
        return sum(d.on_time_extended for d in self.stages)


def _wanted(done: Done, metric: str, stage: str | None) -> bool:
    if stage is not None and done.stage != stage:
        return False
    if metric == "completed":
        return True
    flag = done.on_time_original if metric.endswith("original") else done.on_time_extended
    return flag == metric.startswith("on_time")


def drill_down(session: Session, actor: Actor, now: datetime, period: Period, org_code: str, metric: str,
               stage: str | None = None) -> DrillDown:
    """The cases behind one number; for completion metrics (optionally of one stage) with the stages
    completed in the period, each with its working days and whether it kept each deadline."""
    all_facts = league_facts(session, actor, now, period.start, period.end)
    cases = league_cases(session, actor, now, period.start, period.end, org_code, metric, all_facts)
    if metric not in COMPLETION_METRICS or not cases:
        return DrillDown(cases)
    directory, _calendar = reference_data(session)
    facts = all_facts.get(directory.id_of(org_code))
    done = [d for d in (facts.completed if facts else []) if _wanted(d, metric, stage)]
    ids = dict(session.execute(select(Case.case_no, Case.id)
                               .where(Case.case_no.in_([c["case_no"] for c in cases]))).all())
    by_case: dict[int, list[Done]] = {}
    for d in done:
        by_case.setdefault(d.case_id, []).append(d)
    kept = [{**c, "stages": by_case[ids[c["case_no"]]]} for c in cases if ids.get(c["case_no"]) in by_case]
    return DrillDown(kept, done)


def nice_axis(largest: float, ticks: int = 4) -> list[int]:
    """Whole-number gridline values from 0 to a round top at or above `largest` (charts)."""
    if largest <= 0:
        return [0, 1]
    raw = largest / ticks
    step = 1
    for candidate in (1, 2, 5, 10, 20, 25, 50, 100, 200, 250, 500, 1000, 2000, 2500, 5000, 10000):
        step = candidate
        if candidate >= raw:
            break
    else:
        step = int(10 ** len(str(int(raw))))
    top = step * math.ceil(largest / step)
    return list(range(0, top + 1, step))


def clip_label(text: str, ems: float = 28) -> str:
    """A chart label cut to about `ems` character widths (CJK one, other characters about half),
    ending in '…' when cut: SVG text does not wrap."""
    width, out = 0.0, []
    for ch in text or "":
        width += 1.0 if ord(ch) > 0x2E80 else 0.56
        if width > ems:
            return "".join(out).rstrip() + "…"
        out.append(ch)
    return "".join(out)
