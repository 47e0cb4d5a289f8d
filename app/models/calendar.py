"""Admin-maintained working-day overrides (win over chinesecalendar) and fully loaded years."""
from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import Date, String
from sqlalchemy.orm import Mapped, mapped_column

from app.db import Base


class CalendarOverride(Base):
    __tablename__ = "calendar_overrides"

    id: Mapped[int] = mapped_column(primary_key=True)
    day: Mapped[date] = mapped_column(Date, unique=True)
    is_workday: Mapped[bool]
    note: Mapped[str] = mapped_column(String(200), default="")
    source_doc: Mapped[str] = mapped_column(String(200), default="")
    created_at: Mapped[datetime]


class CalendarYear(Base):
    """A year whose whole schedule an admin has loaded (covers years chinesecalendar does not)."""

    __tablename__ = "calendar_years"

    year: Mapped[int] = mapped_column(primary_key=True, autoincrement=False)
    source_doc: Mapped[str] = mapped_column(String(200))
    loaded_at: Mapped[datetime]
