"""Supervision of deadlines: escalation steps, extension requests, clock-stops, notifications."""
from __future__ import annotations

from datetime import datetime

from sqlalchemy import ForeignKey, Index, String, Text, UniqueConstraint, text
from sqlalchemy.orm import Mapped, mapped_column

from app.db import Base

ESCALATION_KINDS = (
    "notice_50",           # 50 % of the task's time used: notice to the handler
    "notice_80",           # 80 %
    "overdue",             # 100 %: overdue
    "reminder",            # 催办 to the handling org (automatic, after overdue)
    "supervision_order",   # 督办 to the supervisor (automatic, overdue + N working days)
    "supervision_blocked",  # the 督办 cannot be timed: the calendar misses its year (once per task)
    "manual_reminder",     # 催办 sent by hand by a supervisor, with a reply deadline
    "manual_supervision",  # 督办 sent by hand, with a reply deadline
)


class Escalation(Base):
    """One escalation step on one task. Automatic kinds are unique per task (each fires once)."""

    __tablename__ = "escalations"
    __table_args__ = (
        Index("ix_escalations_case_at", "case_id", "at"),
        Index("uq_escalations_task_auto_kind", "task_id", "kind", unique=True,
              postgresql_where=text("kind NOT LIKE 'manual_%'"), sqlite_where=text("kind NOT LIKE 'manual_%'")),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    task_id: Mapped[str] = mapped_column(String(36), index=True)
    case_id: Mapped[int | None] = mapped_column(ForeignKey("cases.id"))
    org_id: Mapped[int | None] = mapped_column(ForeignKey("orgs.id"))  # the org addressed
    kind: Mapped[str] = mapped_column(String(30))
    at: Mapped[datetime]
    by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    by_label: Mapped[str] = mapped_column(String(120))
    note: Mapped[str] = mapped_column(Text, default="")
    reply_due_at: Mapped[datetime | None]
    replied_at: Mapped[datetime | None]
    reply: Mapped[str | None] = mapped_column(Text)


class ExtensionRequest(Base):
    """延期: a handler asks for more time on a task; a supervisor approves (once) or refuses."""

    __tablename__ = "extension_requests"

    id: Mapped[int] = mapped_column(primary_key=True)
    task_id: Mapped[str] = mapped_column(String(36), index=True)
    case_id: Mapped[int | None] = mapped_column(ForeignKey("cases.id"), index=True)
    workdays: Mapped[int]
    reason: Mapped[str] = mapped_column(Text)
    status: Mapped[str] = mapped_column(String(20), default="pending")  # pending / approved / refused
    requested_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    requested_at: Mapped[datetime]
    decided_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    decided_at: Mapped[datetime | None]
    decision_note: Mapped[str] = mapped_column(Text, default="")


class ClockPause(Base):
    """Clock-stop: while the case waits on the complainant, the handling org's clock is paused."""

    __tablename__ = "clock_pauses"

    id: Mapped[int] = mapped_column(primary_key=True)
    case_id: Mapped[int] = mapped_column(ForeignKey("cases.id"), index=True)
    task_id: Mapped[str] = mapped_column(String(36))  # the complainant task that stopped the clock
    reason: Mapped[str] = mapped_column(String(60))
    started_at: Mapped[datetime]
    ended_at: Mapped[datetime | None]
    paused_workdays: Mapped[int | None]


class Notification(Base):
    """In-app notification for one user (the bell); e-mail copies go through the outbox."""

    __tablename__ = "notifications"
    __table_args__ = (Index("ix_notifications_user_unread", "user_id", "read_at"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    case_id: Mapped[int | None] = mapped_column(ForeignKey("cases.id"), index=True)
    kind: Mapped[str] = mapped_column(String(40))
    title: Mapped[str] = mapped_column(String(200))
    body: Mapped[str] = mapped_column(Text, default="")
    created_at: Mapped[datetime]
    read_at: Mapped[datetime | None]


class SchedulerLease(Base):
    """A named lease held by one scheduler process (SQLite allows exactly one scheduler)."""

    __tablename__ = "scheduler_leases"

    name: Mapped[str] = mapped_column(String(40), primary_key=True)
    holder: Mapped[str] = mapped_column(String(120))
    expires_at: Mapped[datetime]


class JobRun(Base):
    """Last run of each periodic job (digest, coverage check), so a restart does not repeat a day."""

    __tablename__ = "job_runs"
    __table_args__ = (UniqueConstraint("job", "period"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    job: Mapped[str] = mapped_column(String(40))
    period: Mapped[str] = mapped_column(String(20))  # e.g. the local date '2026-11-25'
    ran_at: Mapped[datetime]
    detail: Mapped[str] = mapped_column(Text, default="")
