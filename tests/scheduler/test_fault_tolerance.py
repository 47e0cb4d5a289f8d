"""Fault tests with real scheduler processes on PostgreSQL: two processes share 1,000 due timers and
fire each exactly once; a process killed with SIGKILL mid-batch loses nothing and, after a
restart, nothing fires twice. Each test is bounded (startup ≤ 30 s, sweep ≤ 45 s)."""
import re
from datetime import timedelta

import pytest
from sqlalchemy import func, select

from app import clock
from app.db import db
from app.models import AuditEvent, OutboxMessage, ProcessInstance, Timer
from app.services.audit import verify_chain
from tests.conftest import DATABASE
from tests.scheduler.factories import DEADLINE, TIMER_DELAY, start_instances
from tests.scheduler.processes import SchedulerProcesses, wait_until

pytestmark = [
    pytest.mark.postgres_only,
    pytest.mark.skipif(DATABASE != "postgres", reason="several scheduler processes need PostgreSQL row locks; "
                                                      "SQLite runs exactly one (see test_process.py)"),
]
N = 1000
SWEEP_TIMEOUT = 45.0


def scalar(stmt):
    value = db.session.execute(stmt).scalar_one()
    db.session.rollback()  # poll on fresh snapshots, hold nothing
    return value


def fired_timers() -> int:
    return scalar(select(func.count(Timer.id)).where(Timer.fired_at.is_not(None)))


def all_fired() -> bool:
    return scalar(select(func.count(Timer.id)).where(Timer.fired_at.is_(None))) == 0


def due_instances() -> list[int]:
    """N instances whose deadline timer has been due for an hour (one real instance, copied)."""
    return start_instances(DEADLINE, N, started_at=clock.now() - TIMER_DELAY - timedelta(hours=1))


def assert_each_fired_exactly_once(ids: list[int]) -> None:
    firings = dict(db.session.execute(
        select(AuditEvent.instance_id, func.count()).where(AuditEvent.action == "timer_fired")
        .group_by(AuditEvent.instance_id)).all())
    assert sorted(firings) == sorted(ids)
    assert set(firings.values()) == {1}
    signals = db.session.execute(select(func.count(OutboxMessage.id)).where(
        OutboxMessage.topic == "deadline_missed")).scalar_one()
    assert signals == N
    statuses = db.session.execute(select(ProcessInstance.status, func.count()).where(ProcessInstance.id.in_(ids))
                                  .group_by(ProcessInstance.status)).all()
    assert statuses == [("completed", N)]
    report = verify_chain(db.session)
    assert report.ok, f"audit chain {report.broken_chain} broken at {report.broken_seq}"
    db.session.rollback()


def fired_count(output: str) -> int:
    return int(re.search(r"fired (\d+) timer\(s\)", output).group(1))


def test_two_scheduler_processes_fire_1000_due_timers_exactly_once(sched, settings, tmp_path):
    with SchedulerProcesses(settings, tmp_path) as procs:
        a, b = procs.start("a"), procs.start("b")
        procs.wait_started(a)
        procs.wait_started(b)
        ids = due_instances()  # committed at once: both processes see all 1,000 on their next tick
        assert wait_until(all_fired, SWEEP_TIMEOUT, interval=0.2), f"{fired_timers()} of {N} fired"
        assert procs.stop(a) == 0 and procs.stop(b) == 0
        by_process = [fired_count(procs.output(p)) for p in (a, b)]
    assert sum(by_process) == N
    assert min(by_process) > 0, f"one process did all the work: {by_process}"
    assert_each_fired_exactly_once(ids)


def test_a_scheduler_killed_mid_batch_loses_nothing_and_fires_nothing_twice_after_restart(sched, settings, tmp_path):
    with SchedulerProcesses(settings, tmp_path) as procs:
        victim = procs.start("victim")
        procs.wait_started(victim)
        ids = due_instances()
        assert wait_until(lambda: fired_timers() >= 100, SWEEP_TIMEOUT, interval=0.01)
        procs.kill(victim)
        at_crash = fired_timers()
        assert at_crash < N, "the sweep finished before the kill; nothing was interrupted"
        # every committed firing is whole (timer row, audit entry, signal, state); the rest is untouched
        assert scalar(select(func.count(AuditEvent.id)).where(AuditEvent.action == "timer_fired")) == at_crash
        assert scalar(select(func.count(ProcessInstance.id)).where(ProcessInstance.status == "completed")) == at_crash
        survivor = procs.start("survivor")
        assert wait_until(all_fired, SWEEP_TIMEOUT, interval=0.2), f"{fired_timers()} of {N} fired"
        assert procs.stop(survivor) == 0
        assert fired_count(procs.output(survivor)) == N - at_crash
    assert_each_fired_exactly_once(ids)
