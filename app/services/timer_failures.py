"""Which due timers the scheduler may attempt now, the per-instance claim, and what a failed
attempt leaves behind (backoff, last error, and after N attempts a case that needs attention).

Exactly-once: a firing is one transaction that holds the instance row lock. The claim takes that
lock with SKIP LOCKED (PostgreSQL; SQLite's single writer serialises) and only if a due timer is
still pending; `services.timers.fire_due_timers` then re-reads the due rows under the same lock.
The lock order is always instance row first, then its timer rows — as in a user's step."""
from __future__ import annotations

from datetime import datetime, timedelta

from sqlalchemy import exists, or_, select

from app.db import lock_row
from app.models import Case, ProcessInstance, Timer
from app.policy import Actor
from app.services import audit
from app.services.engine_context import EngineContext

RETRY_BASE = timedelta(seconds=30)
RETRY_MAX = timedelta(hours=1)
SCHEDULER = Actor.system("scheduler")


def retry_delay(attempts: int) -> timedelta:
    """Exponential backoff after the `attempts`-th failure: 30 s, 1 min, 2 min, … capped at 1 h."""
    return min(RETRY_BASE * 2 ** max(attempts - 1, 0), RETRY_MAX)


def _attemptable(now: datetime) -> tuple:
    """Pending, due, and not waiting out a backoff. `fired_at IS NULL` matches ix_timers_pending_due."""
    return (Timer.fired_at.is_(None), Timer.due_at <= now,
            or_(Timer.next_attempt_at.is_(None), Timer.next_attempt_at <= now))


def due_instance_ids(session, now: datetime, limit: int) -> list[int]:
    """Instances with an attemptable due timer, earliest first: one range scan of the partial index."""
    rows = session.execute(
        select(Timer.instance_id).where(*_attemptable(now)).order_by(Timer.due_at).limit(limit)
    ).scalars()
    return list(dict.fromkeys(rows))


def claim_instance(session, instance_id: int, now: datetime) -> ProcessInstance | None:
    """Lock and read the instance row unless another transaction holds it, and only while it still
    has an attemptable due timer. None: someone else fires it (or already did)."""
    still_due = exists().where(Timer.instance_id == ProcessInstance.id, *_attemptable(now))
    return session.execute(
        select(ProcessInstance).where(ProcessInstance.id == instance_id, still_due)
        .with_for_update(skip_locked=True, of=ProcessInstance).execution_options(populate_existing=True)
    ).scalar_one_or_none()


def claim_due(session, now: datetime, limit: int) -> list[ProcessInstance]:
    """Lock and read up to `limit` instances with an attemptable due timer, earliest due first,
    skipping rows another transaction holds: one statement walking the pending-timer index, so
    concurrent schedulers each get the next free ones (a queue), never the same."""
    rows = session.execute(
        select(ProcessInstance).join(Timer, Timer.instance_id == ProcessInstance.id).where(*_attemptable(now))
        .order_by(Timer.due_at).limit(limit)
        .with_for_update(skip_locked=True, of=ProcessInstance).execution_options(populate_existing=True)
    ).scalars()
    return list({row.id: row for row in rows}.values())  # an instance with two due timers comes twice


def record_failure(ctx: EngineContext, instance_id: int, error: str, max_attempts: int) -> int:
    """In its own transaction after the firing rolled back: count the attempt on the instance's due
    timers, back off, and from `max_attempts` on flag the case for the supervisors. Returns the
    attempt number (0 when nothing was due any more)."""
    session, now = ctx.session, ctx.now
    lock_row(session, ProcessInstance, instance_id)
    due = session.execute(
        select(Timer).where(Timer.instance_id == instance_id, Timer.fired_at.is_(None), Timer.due_at <= now)
    ).scalars().all()
    if not due:
        return 0
    attempts = max(t.attempts for t in due) + 1
    for timer in due:
        timer.attempts = attempts
        timer.last_error = error[:2000]
        timer.next_attempt_at = now + retry_delay(attempts)
    if attempts == max_attempts:
        case_id = next((t.case_id for t in due if t.case_id is not None), None)
        spec_ids = sorted({t.spec_id for t in due})
        flagged = mark_needs_attention(ctx, case_id, f"Timer {', '.join(spec_ids)} failed {attempts} times: {error}")
        audit.append(session, SCHEDULER, "timer_failed", now, case_id=case_id, instance_id=instance_id,
                     detail={"timers": spec_ids, "attempts": attempts, "error": error[:500], "needs_attention": flagged})
    return attempts


def mark_needs_attention(ctx: EngineContext, case_id: int | None, reason: str) -> bool:
    """Put the case on the supervisors' desk (Case.needs_attention). False when there is no case."""
    case = ctx.session.get(Case, case_id) if case_id is not None else None
    if case is None:
        return False
    case.needs_attention = True
    case.attention_reason = reason[:2000]
    return True
