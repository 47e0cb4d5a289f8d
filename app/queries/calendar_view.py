"""Read side of the working-day calendar for the admin page and the December banner."""
from __future__ import annotations

from datetime import date

from sqlalchemy import extract, select
from sqlalchemy.orm import Session

from app.calendar import chinesecalendar_years
from app.models import CalendarOverride, CalendarYear
from app.services.reference_cache import reference_data


def calendar_status(session: Session, today: date) -> dict:
    _directory, calendar = reference_data(session)
    loaded = {y.year: y for y in session.execute(select(CalendarYear)).scalars()}
    return {
        "version": calendar.version,
        "covered_years": calendar.covered_years(),
        "chinesecalendar_years": [min(chinesecalendar_years()), max(chinesecalendar_years())],
        "loaded_years": [{"year": y, "source_doc": row.source_doc, "loaded_at": row.loaded_at.isoformat()}
                         for y, row in sorted(loaded.items())],
        "warning": calendar.coverage_warning(today),
    }


def year_overrides(session: Session, year: int) -> list[dict]:
    rows = session.execute(select(CalendarOverride).where(extract("year", CalendarOverride.day) == year)
                           .order_by(CalendarOverride.day)).scalars()
    return [{"day": r.day.isoformat(), "is_workday": r.is_workday, "note": r.note, "source_doc": r.source_doc}
            for r in rows]
