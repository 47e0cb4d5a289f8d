"""Load a year's working-day schedule (State Council notice) into the override tables."""
from __future__ import annotations

from dataclasses import dataclass, field

from sqlalchemy import delete, extract, select

from app.calendar import parse_override_lines
from app.errors import InvalidSubmission, NotAllowed
from app.models import CalendarOverride, CalendarYear
from app.policy import Actor
from app.services import audit, deadline_recompute
from app.services.calendar_source import load_calendar
from app.services.deadline_recompute import DeadlineChange
from app.services.engine_context import EngineContext
from app.services.reference_cache import CALENDAR, bump


@dataclass
class YearLoaded:
    year: int
    holidays: int
    workdays: int
    changes: list[DeadlineChange] = field(default_factory=list)  # open deadlines that moved


def import_year(ctx: EngineContext, actor: Actor, year: int, text: str, source_doc: str) -> YearLoaded:
    """Replace the overrides of `year` with the pasted schedule and mark the year as covered.

    Days not listed follow Monday–Friday, so the list must name every holiday and every
    make-up working day (调休) of the notice. Open deadlines are recomputed under the new calendar
    (audited, handlers notified); a caller that only previews rolls the transaction back."""
    session, now = ctx.session, ctx.now
    if actor.kind != "system" and actor.role not in ("admin", "supervisor"):
        raise NotAllowed("only admins and supervisors maintain the calendar")
    if not source_doc.strip():
        raise InvalidSubmission({"source_doc": ["name the notice (document number) the schedule comes from"]})
    try:
        rows = parse_override_lines(text)
    except ValueError as exc:
        raise InvalidSubmission({"text": [str(exc)]}) from None
    if not rows:
        raise InvalidSubmission({"text": ["no dates given"]})
    wrong = [d.isoformat() for d, _w, _n in rows if d.year != year]
    if wrong:
        raise InvalidSubmission({"text": [f"dates outside {year}: {', '.join(wrong[:5])}"]})
    session.execute(delete(CalendarOverride).where(extract("year", CalendarOverride.day) == year))
    for day, is_workday, note in rows:
        session.add(CalendarOverride(day=day, is_workday=is_workday, note=note, source_doc=source_doc, created_at=now))
    entry = session.execute(select(CalendarYear).where(CalendarYear.year == year)).scalar_one_or_none()
    if entry is None:
        session.add(CalendarYear(year=year, source_doc=source_doc, loaded_at=now))
    else:
        entry.source_doc, entry.loaded_at = source_doc, now
    bump(session, CALENDAR)
    session.flush()
    new_calendar = load_calendar(session)
    changes = deadline_recompute.preview(ctx, new_calendar)
    deadline_recompute.apply(ctx, actor, new_calendar, changes)
    result = YearLoaded(year, sum(1 for r in rows if not r[1]), sum(1 for r in rows if r[1]), changes)
    audit.append(session, actor, "calendar_year_loaded", now,
                 detail={"year": year, "source_doc": source_doc, "holidays": result.holidays,
                         "workdays": result.workdays, "deadlines_moved": len(changes)})
    return result
