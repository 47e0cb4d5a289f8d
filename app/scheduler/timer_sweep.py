"""Fire every due timer: one indexed query finds the instances, each is claimed and fired in its own
transaction; a failure is recorded in a second transaction (see services.timer_failures).

One tick fires everything overdue: the sweep pages through the due rows until none is left that
this tick has not tried, and the engine's `advance()` catches a cycle up in one step, so reminders
that piled up during downtime are fired in one transaction per instance, not one per tick.
The org directory and calendar are read once per batch (≤ BATCH instances), not per firing."""
from __future__ import annotations

from dataclasses import replace

from app import clock
from app.db import unit_of_work
from app.db_events import read_only
from app.errors import DomainError
from app.scheduler.job_env import JobEnv, log
from app.services import timer_failures, timers
from app.services.engine_context import EngineContext

BATCH = 200


def fire_due_timers(env: JobEnv) -> int:
    """Returns how many timers fired."""
    tried: set[int] = set()
    fired = 0
    while not env.stop.is_set():
        with read_only(), unit_of_work(env.session):
            batch = [i for i in timer_failures.due_instance_ids(env.session, clock.now(), BATCH) if i not in tried]
            batch_ctx = env.context(clock.now()) if batch else None  # directory + calendar, once per batch
        if not batch:
            break
        for instance_id in batch:
            if env.stop.is_set():
                break
            tried.add(instance_id)
            fired += fire_instance(env, batch_ctx, instance_id)
    return fired


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
