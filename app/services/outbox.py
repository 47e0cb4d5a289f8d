"""The outbox after commit: which rows are due, claiming one, marking it delivered, recording a
failed attempt. Sending (HTTP, SMTP) is the scheduler's job; nothing here talks to the network."""
from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import select, update

from app.models import OutboxMessage
from app.services import audit
from app.services.engine_context import EngineContext
from app.services.timer_failures import SCHEDULER, mark_needs_attention, retry_delay


@dataclass(frozen=True)
class Outgoing:
    """What a deliverer needs of one outbox row (detached from the session)."""

    id: int
    topic: str
    case_id: int | None
    payload: dict
    created_at: datetime
    attempts: int


def due(session, now: datetime, limit: int) -> list[tuple[int, str]]:
    """(id, topic) of undelivered rows whose next attempt is due, oldest first (partial index
    ix_outbox_pending)."""
    return [(message_id, topic) for message_id, topic in session.execute(
        select(OutboxMessage.id, OutboxMessage.topic).where(OutboxMessage.delivered_at.is_(None), OutboxMessage.next_attempt_at <= now)
        .order_by(OutboxMessage.next_attempt_at, OutboxMessage.id).limit(limit)
    )]


def claim(session, message_id: int, now: datetime, lock: bool) -> Outgoing | None:
    """The row if it is still undelivered and due. `lock`: hold it FOR UPDATE SKIP LOCKED until the
    transaction ends (PostgreSQL, several schedulers); None when another scheduler holds it."""
    q = select(OutboxMessage).where(OutboxMessage.id == message_id, OutboxMessage.delivered_at.is_(None),
                                    OutboxMessage.next_attempt_at <= now)
    if lock:
        q = q.with_for_update(skip_locked=True)
    row = session.execute(q).scalar_one_or_none()
    if row is None:
        return None
    return Outgoing(id=row.id, topic=row.topic, case_id=row.case_id, payload=dict(row.payload or {}),
                    created_at=row.created_at, attempts=row.attempts)


def mark_delivered(session, message_id: int, now: datetime) -> bool:
    result = session.execute(
        update(OutboxMessage).where(OutboxMessage.id == message_id, OutboxMessage.delivered_at.is_(None))
        .values(delivered_at=now, attempts=OutboxMessage.attempts + 1, last_error=None)
    )
    return result.rowcount == 1


def mark_internal_delivered(session, now: datetime, external_topics: frozenset[str], limit: int, lock: bool) -> int:
    """Mark up to `limit` due rows whose topic no outside system receives as delivered, in one
    statement (there is nothing to send for them). `lock`: skip rows another scheduler holds
    (PostgreSQL). Returns how many rows were marked."""
    due = (select(OutboxMessage.id).where(OutboxMessage.delivered_at.is_(None), OutboxMessage.next_attempt_at <= now,
                                          OutboxMessage.topic.not_in(sorted(external_topics)))
           .order_by(OutboxMessage.next_attempt_at, OutboxMessage.id).limit(limit))
    if lock:
        due = due.with_for_update(skip_locked=True)
    result = session.execute(
        update(OutboxMessage).where(OutboxMessage.id.in_(due.scalar_subquery()))
        .values(delivered_at=now, attempts=OutboxMessage.attempts + 1, last_error=None)
        .execution_options(synchronize_session=False)
    )
    return result.rowcount


def record_failure(ctx: EngineContext, message_id: int, error: str, max_attempts: int) -> int:
    """In its own transaction after a failed send: count the attempt, back off, and from
    `max_attempts` on flag the case for the supervisors. Returns the attempt number (0: gone)."""
    session, now = ctx.session, ctx.now
    row = session.execute(
        select(OutboxMessage).where(OutboxMessage.id == message_id, OutboxMessage.delivered_at.is_(None))
        .with_for_update()
    ).scalar_one_or_none()
    if row is None:
        return 0
    row.attempts += 1
    row.last_error = error[:2000]
    row.next_attempt_at = now + retry_delay(row.attempts)
    if row.attempts == max_attempts:
        flagged = mark_needs_attention(ctx, row.case_id, f"Delivery of '{row.topic}' failed {row.attempts} times: {error}")
        audit.append(session, SCHEDULER, "outbox_failed", now, case_id=row.case_id,
                     detail={"message": row.id, "topic": row.topic, "attempts": row.attempts, "error": error[:500],
                             "needs_attention": flagged})
    return row.attempts
