"""Fire the due timers of one instance, or of a claimed group of instances in one transaction (the
scheduler's sweep claims and fires groups; a group that fails is retried one instance at a time)."""
from __future__ import annotations

from app.db import insert_rows
from app.models import ProcessInstance
from app.policy import Actor
from app.services import audit, workflow
from app.services.engine_context import EngineContext

TIMER = Actor.system("timer")


def fire_due_timers(ctx: EngineContext, instance_id: int, claimed: ProcessInstance | None = None) -> list[str]:
    """Advance the instance so its due timers fire; returns the spec ids of the timers that fired.
    `claimed`: the instance row this transaction already locked (the scheduler's claim)."""
    loaded = workflow.load_claimed(ctx, claimed) if claimed is not None else workflow.load_locked(ctx, instance_id)
    loaded.pending_timers = workflow.pending_timers(ctx.session, instance_id)
    return _fire(ctx, loaded)


def fire_claimed(ctx: EngineContext, claimed: list[ProcessInstance]) -> int:
    """Fire the due timers of instances this transaction has locked (`timer_failures.claim_due`), all
    in the caller's transaction: the reads are one statement per table for the group, the writes one
    flush plus one executemany per append-only table. Returns how many timers fired. Any error
    propagates: the caller rolls the whole group back and fires its instances one by one."""
    group = workflow.load_claimed_many(ctx, claimed)
    heads = audit.lock_heads(ctx.session, [loaded.audit_chain for loaded in group])
    append_only: list = []  # the group's task-log, outbox and audit rows: one executemany per table
    fired = 0
    for loaded in group:
        loaded.audit_heads, loaded.append_only = heads, append_only
        fired += len(_fire(ctx, loaded))
    ctx.session.flush()  # new chain heads and instance rows first, then the rows that refer to them
    insert_rows(ctx.session, append_only)
    return fired


def _fire(ctx: EngineContext, loaded: workflow.Loaded) -> list[str]:
    due = [t for t in loaded.pending_timers if t.due_at <= ctx.now]
    if not due:
        return []
    loaded.engine.advance()
    fired = [t.spec_id for t in due]
    workflow.persist(ctx, loaded, TIMER, "timer_fired", {"timers": fired}, public=False)
    return fired
