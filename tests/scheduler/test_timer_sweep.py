"""The timer sweep: due timers fire on the next tick, each in one transaction with its instance;
failures back off in a separate transaction and end on the supervisors' desk."""
from datetime import timedelta

import pytest
import time_machine
from sqlalchemy import func, select, text

from app.db import db
from app.models import AuditEvent, Case, ProcessInstance, Timer
from app.scheduler.job_env import JobEnv
from app.scheduler.timer_sweep import fire_due_timers
from app.services.timer_failures import due_instance_ids
from tests.conftest import DATABASE
from tests.scheduler.conftest import T0
from tests.scheduler.factories import DEADLINE, REMINDERS, TIMER_DELAY, outbox_rows, pending_due, start_instances


def sweep(app) -> int:
    return fire_due_timers(JobEnv(db.session, app.extensions["lvyue.settings"]))


def fired_audits(instance_id: int) -> int:
    return db.session.execute(select(func.count(AuditEvent.id)).where(
        AuditEvent.instance_id == instance_id, AuditEvent.action == "timer_fired")).scalar_one()


def test_the_once_command_fires_every_due_timer_and_delivers_its_signal(sched):
    ids = start_instances(DEADLINE, 3, started_at=T0)
    with time_machine.travel(T0 + TIMER_DELAY + timedelta(minutes=1), tick=False):
        result = sched.test_cli_runner().invoke(args=["lvyue", "scheduler", "--once", "--name", "t"])
        assert result.exit_code == 0, result.output
        assert "fired 3 timer(s), delivered 3 message(s)" in result.output
        statuses = db.session.execute(select(ProcessInstance.status).where(ProcessInstance.id.in_(ids))).scalars()
        assert set(statuses) == {"completed"}
        assert [m.delivered_at is not None for m in outbox_rows("deadline_missed")] == [True] * 3


def test_a_timer_not_yet_due_is_left_alone(sched):
    [instance_id] = start_instances(DEADLINE, started_at=T0)
    with time_machine.travel(T0 + TIMER_DELAY - timedelta(minutes=1), tick=False):
        assert sweep(sched) == 0
    assert db.session.get(ProcessInstance, instance_id).status == "running"


def test_reminders_piled_up_during_downtime_fire_in_one_tick_and_one_transaction(sched):
    [instance_id] = start_instances(REMINDERS, started_at=T0)
    after_outage = T0 + timedelta(days=5, hours=1)  # five daily reminders missed
    with time_machine.travel(after_outage, tick=False):
        assert sweep(sched) == 1
        assert pending_due(after_outage) == 0
        assert fired_audits(instance_id) == 1
        assert sweep(sched) == 0
        next_reminder = db.session.execute(select(Timer.due_at).where(
            Timer.instance_id == instance_id, Timer.fired_at.is_(None))).scalar_one()
    assert next_reminder > after_outage


def test_a_failing_timer_backs_off_then_puts_the_case_on_the_supervisors_desk(sched, make_case, settings, monkeypatch):
    monkeypatch.setattr(settings, "max_attempts", 3)
    case = make_case()
    [instance_id] = start_instances(DEADLINE, data={"fail_on_fire": True}, started_at=T0, case=case)
    due = T0 + TIMER_DELAY + timedelta(minutes=1)

    def attempts_at(moment):
        with time_machine.travel(moment, tick=False):
            sweep(sched)
        return db.session.execute(select(Timer).where(Timer.instance_id == instance_id)
                                  .execution_options(populate_existing=True)).scalar_one()

    first = attempts_at(due)
    assert (first.attempts, first.fired_at) == (1, None)
    assert "division by zero" in first.last_error
    assert first.next_attempt_at == due + timedelta(seconds=30)
    assert attempts_at(due + timedelta(seconds=10)).attempts == 1  # still backing off: not attempted
    assert attempts_at(due + timedelta(seconds=31)).attempts == 2
    assert db.session.get(Case, case.id).needs_attention is False
    assert attempts_at(due + timedelta(seconds=31 + 61)).attempts == 3
    flagged = db.session.execute(select(Case).where(Case.id == case.id).execution_options(populate_existing=True)).scalar_one()
    assert flagged.needs_attention is True and "deadline" in flagged.attention_reason
    assert db.session.execute(select(AuditEvent.action).where(
        AuditEvent.case_id == case.id, AuditEvent.action == "timer_failed")).scalar_one()
    assert db.session.get(ProcessInstance, instance_id).status == "running"  # nothing half-written
    assert fired_audits(instance_id) == 0


def test_the_due_query_uses_the_partial_pending_index(sched):
    start_instances(DEADLINE, 3, started_at=T0)
    stmt = select(Timer.instance_id).where(Timer.fired_at.is_(None), Timer.due_at <= T0).order_by(Timer.due_at).limit(5)
    compiled = stmt.compile(db.engine, compile_kwargs={"literal_binds": True})
    if DATABASE == "postgres":
        db.session.execute(text("SET LOCAL enable_seqscan = off"))  # a 3-row table would otherwise be scanned
        plan = "\n".join(db.session.execute(text(f"EXPLAIN {compiled}")).scalars())
    else:
        plan = "\n".join(str(row[-1]) for row in db.session.execute(text(f"EXPLAIN QUERY PLAN {compiled}")))
    db.session.rollback()
    assert "ix_timers_pending_due" in plan, plan
    assert due_instance_ids(db.session, T0 + TIMER_DELAY, 10)  # the service's query is this one plus backoff


@pytest.mark.postgres_only
@pytest.mark.skipif(DATABASE != "postgres", reason="row locks with SKIP LOCKED exist only on PostgreSQL")
def test_an_instance_locked_by_someone_else_is_skipped_and_fired_on_a_later_tick(sched):
    locked, free = start_instances(DEADLINE, 2, started_at=T0)
    with db.engine.connect() as other:
        other.execute(text("SELECT id FROM process_instances WHERE id = :id FOR UPDATE"), {"id": locked})
        with time_machine.travel(T0 + TIMER_DELAY + timedelta(minutes=1), tick=False):
            assert sweep(sched) == 1
        other.rollback()
    assert [db.session.get(ProcessInstance, i).status for i in (locked, free)] == ["running", "completed"]
    with time_machine.travel(T0 + TIMER_DELAY + timedelta(minutes=2), tick=False):
        assert sweep(sched) == 1
    assert fired_audits(locked) == 1 and fired_audits(free) == 1
