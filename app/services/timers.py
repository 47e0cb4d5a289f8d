"""Fire the due timers of one instance (the scheduler's sweep calls this for each claimed instance)."""
from __future__ import annotations


from app.models import ProcessInstance
from app.policy import Actor
from app.services import workflow
from app.services.engine_context import EngineContext


def fire_due_timers(ctx: EngineContext, instance_id: int, claimed: ProcessInstance | None = None) -> list[str]:
    """Advance the instance so its due timers fire; returns the spec ids of the timers that fired.
    `claimed`: the instance row this transaction already locked (the scheduler's claim)."""
    loaded = workflow.load_claimed(ctx, claimed) if claimed is not None else workflow.load_locked(ctx, instance_id)
    loaded.pending_timers = workflow.pending_timers(ctx.session, instance_id)
    due = [t for t in loaded.pending_timers if t.due_at <= ctx.now]
    if not due:
        return []
    loaded.engine.advance()
    fired = [t.spec_id for t in due]
    workflow.persist(ctx, loaded, Actor.system("timer"), "timer_fired", {"timers": fired}, public=False)
    return fired
