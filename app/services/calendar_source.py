"""Build the working-day calendar from chinesecalendar plus the admin override tables."""
from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import Session

from app.calendar import WorkingCalendar
from app.models import CalendarOverride, CalendarYear


def load_calendar(session: Session) -> WorkingCalendar:
    overrides = {o.day: o.is_workday for o in session.execute(select(CalendarOverride)).scalars()}
    years = [y.year for y in session.execute(select(CalendarYear)).scalars()]
    return WorkingCalendar(overrides=overrides, covered_years=years)
