"""Fire every due timer. An idle tick is one indexed read. Otherwise the sweep works like a queue:
each transaction claims the next GROUP due instances that no other scheduler holds (one statement
through the pending-timer index, FOR UPDATE SKIP LOCKED) and fires them (one read per table, one
flush, one commit), so several scheduler processes take disjoint groups. When a group fails, it is
rolled back and its instances are fired one per transaction, so the failing one is found and its
failure recorded in a second transaction (see services.timer_failures) while the others fire.

One tick fires everything overdue: the sweep claims groups until none is left that this tick has
not tried, and the engine's `advance()` catches a cycle up in one step, so reminders that piled up
during downtime are fired in one step per instance, not one per tick. The org directory and
calendar are read once every CONTEXT_GROUPS groups, not per firing."""
from __future__ import annotations

from dataclasses import replace

from app import clock
from app.db import unit_of_work
from app.db_events import read_only
from app.errors import DomainError
from app.scheduler.job_env import JobEnv, log
from app.services import timer_failures, timers
from app.services.engine_context import EngineContext

GROUP = 50  # instances per transaction: fewer commits; a group holds its row locks ~GROUP firings (~0.25 s)
CONTEXT_GROUPS = 4  # the org directory and calendar are re-read every CONTEXT_GROUPS groups


def fire_due_timers(env: JobEnv) -> int:
    """Returns how many timers fired."""
    with read_only(), unit_of_work(env.session):  # the idle tick: one indexed read, no write lock
        if not timer_failures.due_instance_ids(env.session, clock.now(), 1):
            return 0
    tried: set[int] = set()
    fired = groups = 0
    batch_ctx = None
    while not env.stop.is_set():
        if groups % CONTEXT_GROUPS == 0:
            with read_only(), unit_of_work(env.session):
                batch_ctx = env.context(clock.now())  # directory + calendar
        groups += 1
        done = fire_next_group(env, batch_ctx, tried)
        if done is None:
            break
        fired += done
    return fired


def fire_next_group(env: JobEnv, batch_ctx: EngineContext, tried: set[int]) -> int | None:
    """Claim the next GROUP due instances nobody else holds and fire them in one transaction; if
    anything in it fails, fire them one by one. None when nothing is left to claim (instances this
    pass already tried are left for the next tick)."""
    group: list[int] = []
    try:
        with unit_of_work(env.session):
            ctx = replace(batch_ctx, now=clock.now())
            claimed = [row for row in timer_failures.claim_due(ctx.session, ctx.now, GROUP) if row.id not in tried]
            if not claimed:
                return None
            group = [row.id for row in claimed]
            tried.update(group)
            return timers.fire_claimed(ctx, claimed)
    except Exception as exc:  # noqa: BLE001 - the single-instance retry finds and records the culprit
        if not group:
            raise
        log.info("timer group of %s instances rolled back (%s: %s); firing them one by one",
                 len(group), type(exc).__name__, exc)
    return sum(fire_instance(env, batch_ctx, i) for i in group if not env.stop.is_set())


def fire_instance(env: JobEnv, batch_ctx: EngineContext, instance_id: int) -> int:
    """Claim and fire one instance's due timers (0 when another process has it or nothing is due)."""
    try:
        with unit_of_work(env.session):
            ctx = replace(batch_ctx, now=clock.now())
            claimed = timer_failures.claim_instance(ctx.session, instance_id, ctx.now)
            if claimed is None:
                return 0
            return len(timers.fire_due_timers(ctx, instance_id, claimed))
    except Exception as exc:  # noqa: BLE001 - any failure of one instance is recorded, the sweep goes on
        error = exc.message if isinstance(exc, DomainError) else f"{type(exc).__name__}: {exc}"
        with unit_of_work(env.session):
            attempts = timer_failures.record_failure(env.context(clock.now()), instance_id, error,
                                                     env.settings.max_attempts)
        log.warning("timer of instance %s failed (attempt %s): %s", instance_id, attempts, error)
        return 0
