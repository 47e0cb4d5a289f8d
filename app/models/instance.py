"""Process instances: the engine's persisted state (state only; the spec lives on the definition)."""
from __future__ import annotations

from datetime import datetime

from sqlalchemy import JSON, ForeignKey, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from app.db import Base

INSTANCE_STATUSES = ("running", "completed", "error")


class ProcessInstance(Base):
    __tablename__ = "process_instances"

    id: Mapped[int] = mapped_column(primary_key=True)
    definition_id: Mapped[int] = mapped_column(ForeignKey("process_definitions.id"), index=True)
    status: Mapped[str] = mapped_column(String(20), default="running")
    state_json: Mapped[str] = mapped_column(Text)
    serializer_version: Mapped[str] = mapped_column(String(10))
    data: Mapped[dict] = mapped_column(JSON, default=dict)
    # counts the writes; every write path holds the row lock (FOR UPDATE / SQLite's BEGIN IMMEDIATE),
    # so it is a counter, not an optimistic check (which would cost one UPDATE per row in a batch)
    lock_version: Mapped[int] = mapped_column(default=1)
    started_at: Mapped[datetime]
    updated_at: Mapped[datetime]
    completed_at: Mapped[datetime | None]
    next_timer_at: Mapped[datetime | None]  # earliest pending timer (None: no timer waits)
    started_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    # the case this instance runs (None for processes started directly); `cases.instance_id` points back
    case_id: Mapped[int | None] = mapped_column(index=True)
