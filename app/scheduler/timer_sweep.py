"""Fire every due timer: one indexed query finds the instances; they are claimed and fired in groups
of GROUP instances, one transaction per group (one commit, one flush, one read per table). When a
group fails, it is rolled back and its instances are fired one per transaction, so the failing one
is found and its failure recorded in a second transaction (see services.timer_failures) while
the others fire.

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
GROUP = 20  # instances per transaction: fewer commits; a group holds its row locks ~GROUP firings long


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
        for start in range(0, len(batch), GROUP):
            if env.stop.is_set():
                break
            group = batch[start:start + GROUP]
            tried.update(group)
            fired += fire_group(env, batch_ctx, group)
    return fired


def fire_group(env: JobEnv, batch_ctx: EngineContext, instance_ids: list[int]) -> int:
    """Fire a group in one transaction; if anything in it fails, fire its instances one by one."""
    if len(instance_ids) == 1:
        return fire_instance(env, batch_ctx, instance_ids[0])
    try:
        with unit_of_work(env.session):
            return timers.fire_group(replace(batch_ctx, now=clock.now()), instance_ids)
    except Exception as exc:  # noqa: BLE001 - the single-instance retry finds and records the culprit
        log.info("timer group of %s instances rolled back (%s: %s); firing them one by one",
                 len(instance_ids), type(exc).__name__, exc)
    return sum(fire_instance(env, batch_ctx, i) for i in instance_ids if not env.stop.is_set())


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
