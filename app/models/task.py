"""Projections written in the workflow transaction: ready tasks, waiting timers, task history."""
from __future__ import annotations

from datetime import datetime

from sqlalchemy import JSON, ForeignKey, Index, String, text
from sqlalchemy.orm import Mapped, mapped_column

from app.db import Base


class ReadyTask(Base):
    """A user task that is READY now. `id` is the engine's task uuid."""

    __tablename__ = "ready_tasks"
    __table_args__ = (
        Index("ix_ready_tasks_org_due", "org_id", "due_at"),
        # the inbox (queries.inbox): one org's tasks of one role in page order; covers the tab counts and the
        # case filters' semi-join
        Index("ix_ready_tasks_inbox", "role", "org_id", "due_at", "created_at", "id", "claimed_by_id", "stage",
              "case_id"),
    )

    id: Mapped[str] = mapped_column(String(36), primary_key=True)
    instance_id: Mapped[int] = mapped_column(ForeignKey("process_instances.id"), index=True)
    case_id: Mapped[int | None] = mapped_column(ForeignKey("cases.id"), index=True)
    spec_id: Mapped[str] = mapped_column(String(120))
    name: Mapped[str] = mapped_column(String(200))
    process_id: Mapped[str] = mapped_column(String(120))
    role: Mapped[str] = mapped_column(String(30), index=True)
    org_id: Mapped[int | None] = mapped_column(ForeignKey("orgs.id"))
    stage: Mapped[str] = mapped_column(String(30), default="")
    form: Mapped[str | None] = mapped_column(String(200))
    ui_form: Mapped[str | None] = mapped_column(String(200))
    instructions: Mapped[str] = mapped_column(default="")
    created_at: Mapped[datetime]
    due_at: Mapped[datetime | None]
    due_rule: Mapped[str | None] = mapped_column(String(80))
    due_basis: Mapped[dict | None] = mapped_column(JSON)
    claimed_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    escalation_level: Mapped[int] = mapped_column(default=0)  # highest automatic step fired (see Escalation)
    original_due_at: Mapped[datetime | None]  # before extensions and clock-stops
    paused_workdays: Mapped[int] = mapped_column(default=0)
    extended_workdays: Mapped[int] = mapped_column(default=0)


class Timer(Base):
    """A waiting BPMN timer projected from the engine after every step."""

    __tablename__ = "timers"
    __table_args__ = (
        Index("ix_timers_pending_due", "due_at", postgresql_where=text("fired_at IS NULL"), sqlite_where=text("fired_at IS NULL")),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    instance_id: Mapped[int] = mapped_column(ForeignKey("process_instances.id"), index=True)
    case_id: Mapped[int | None] = mapped_column(ForeignKey("cases.id"), index=True)
    task_id: Mapped[str] = mapped_column(String(36))
    spec_id: Mapped[str] = mapped_column(String(120))
    attached_to: Mapped[str | None] = mapped_column(String(120))
    kind: Mapped[str] = mapped_column(String(20))
    due_at: Mapped[datetime]
    fired_at: Mapped[datetime | None]
    attempts: Mapped[int] = mapped_column(default=0)
    last_error: Mapped[str | None]
    next_attempt_at: Mapped[datetime | None]


class TaskLog(Base):
    """One user task that left the ready list: completed (who, when, what they submitted) or
    cancelled (by a timer, a message or a withdrawal)."""

    __tablename__ = "task_log"

    id: Mapped[int] = mapped_column(primary_key=True)
    task_id: Mapped[str] = mapped_column(String(36), index=True)
    instance_id: Mapped[int] = mapped_column(ForeignKey("process_instances.id"), index=True)
    case_id: Mapped[int | None] = mapped_column(ForeignKey("cases.id"), index=True)
    spec_id: Mapped[str] = mapped_column(String(120))
    name: Mapped[str] = mapped_column(String(200))
    role: Mapped[str] = mapped_column(String(30))
    stage: Mapped[str] = mapped_column(String(30), default="")
    state: Mapped[str] = mapped_column(String(20), default="completed")
    org_id: Mapped[int | None] = mapped_column(ForeignKey("orgs.id"))
    created_at: Mapped[datetime]
    due_at: Mapped[datetime | None]
    completed_at: Mapped[datetime]
    completed_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    completed_by_label: Mapped[str] = mapped_column(String(120))
    data: Mapped[dict] = mapped_column(JSON)
