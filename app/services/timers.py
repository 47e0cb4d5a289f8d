"""Fire the due timers of one instance (used by tests now and by the scheduler process later)."""
from __future__ import annotations

from sqlalchemy import select

from app.models import Timer
from app.policy import Actor
from app.services import workflow
from app.services.engine_context import EngineContext


def due_instance_ids(ctx: EngineContext, limit: int = 100) -> list[int]:
    rows = ctx.session.execute(
        select(Timer.instance_id).where(Timer.fired_at.is_(None), Timer.due_at <= ctx.now)
        .order_by(Timer.due_at).limit(limit)
    ).scalars().all()
    return list(dict.fromkeys(rows))


def fire_due_timers(ctx: EngineContext, instance_id: int) -> list[str]:
    """Advance the instance so its due timers fire; returns the spec ids of the timers that fired."""
    loaded = workflow.load_locked(ctx, instance_id)
    due = ctx.session.execute(
        select(Timer).where(Timer.instance_id == instance_id, Timer.fired_at.is_(None), Timer.due_at <= ctx.now)
    ).scalars().all()
    if not due:
        return []
    loaded.engine.advance()
    fired = [t.spec_id for t in due]
    workflow.persist(ctx, loaded, Actor.system("timer"), "timer_fired", {"timers": fired}, public=False)
    return fired
