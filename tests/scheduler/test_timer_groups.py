"""The sweep fires due instances in groups, one transaction per group; a group holding a failing
instance is rolled back and fired one instance at a time, so the others fire exactly once and only
the failing one records an attempt."""
from datetime import timedelta

import pytest
import time_machine
from sqlalchemy import event, func, select
from sqlalchemy.orm import Session

from app.db import db, unit_of_work
from app.models import AuditEvent, Case, ProcessInstance, Timer
from app.scheduler import timer_sweep
from app.scheduler.job_env import JobEnv
from app.services import timer_failures
from app.services.audit import verify_chain
from tests.conftest import DATABASE
from tests.scheduler.conftest import T0
from tests.scheduler.factories import DEADLINE, TIMER_DELAY, outbox_rows, start_instances

DUE = T0 + TIMER_DELAY + timedelta(minutes=1)


def sweep(app) -> int:
    return timer_sweep.fire_due_timers(JobEnv(db.session, app.extensions["lvyue.settings"]))


def fired_audits(instance_ids: list[int]) -> dict[int, int]:
    rows = db.session.execute(select(AuditEvent.instance_id, func.count(AuditEvent.id)).where(
        AuditEvent.instance_id.in_(instance_ids), AuditEvent.action == "timer_fired")
        .group_by(AuditEvent.instance_id)).all()
    return {i: n for i, n in rows}


def test_many_due_instances_fire_with_one_commit_per_group_not_per_instance(sched):
    count = 2 * timer_sweep.GROUP + 5
    ids = start_instances(DEADLINE, count, started_at=T0)
    commits = []
    listener = lambda conn: commits.append(1)  # noqa: E731
    event.listen(db.engine, "commit", listener)
    try:
        with time_machine.travel(DUE, tick=False):
            assert sweep(sched) == count
    finally:
        event.remove(db.engine, "commit", listener)
    groups = -(-count // timer_sweep.GROUP)
    # the groups, plus the idle check, the directory/calendar read and the final claim finding nothing
    assert groups <= len(commits) <= groups + 3, len(commits)
    assert fired_audits(ids) == {i: 1 for i in ids}
    assert set(db.session.execute(select(ProcessInstance.status).where(ProcessInstance.id.in_(ids))).scalars()) \
        == {"completed"}
    assert len(outbox_rows("deadline_missed")) == count


def test_a_failing_instance_in_a_group_costs_the_others_nothing(sched, make_case):
    good_before = start_instances(DEADLINE, 3, started_at=T0)
    case = make_case()
    [failing] = start_instances(DEADLINE, data={"fail_on_fire": True}, started_at=T0, case=case)
    good_after = start_instances(DEADLINE, 3, started_at=T0)
    good = good_before + good_after
    with time_machine.travel(DUE, tick=False):
        assert sweep(sched) == len(good)
        assert sweep(sched) == 0  # the failing one is backing off
    assert fired_audits(good + [failing]) == {i: 1 for i in good}
    timer = db.session.execute(select(Timer).where(Timer.instance_id == failing)).scalar_one()
    assert (timer.attempts, timer.fired_at) == (1, None)  # one attempt recorded, not one per try
    assert "division by zero" in timer.last_error
    assert db.session.get(ProcessInstance, failing).status == "running"
    assert db.session.get(Case, case.id).needs_attention is False
    assert len(outbox_rows("deadline_missed")) == len(good)


def test_group_firing_keeps_every_audit_chain_whole(sched, make_case):
    """Chains of cases that already have entries and of instances without a case get theirs in order."""
    with unit_of_work(db.session):
        cases = [make_case(f"BB-2026-90000{i}") for i in range(1, 4)]
    with_case = [start_instances(DEADLINE, started_at=T0, case=c)[0] for c in cases]
    without = start_instances(DEADLINE, 4, started_at=T0)
    with time_machine.travel(DUE, tick=False):
        assert sweep(sched) == len(with_case) + len(without)
    report = verify_chain(db.session)
    assert report.ok, report
    for case, instance_id in zip(cases, with_case):
        actions = db.session.execute(select(AuditEvent.action).where(AuditEvent.chain == f"case:{case.id}")
                                     .order_by(AuditEvent.seq)).scalars().all()
        assert actions[0] == "process_started" and actions[-1] == "timer_fired", actions


@pytest.mark.postgres_only
@pytest.mark.skipif(DATABASE != "postgres", reason="row locks with SKIP LOCKED exist only on PostgreSQL")
def test_two_schedulers_claiming_at_once_get_disjoint_groups(sched):
    ids = start_instances(DEADLINE, 2 * timer_sweep.GROUP + 3, started_at=T0)
    with Session(db.engine) as first, Session(db.engine) as second:
        mine = {r.id for r in timer_failures.claim_due(first, DUE, timer_sweep.GROUP)}  # held until `first` ends
        theirs = {r.id for r in timer_failures.claim_due(second, DUE, timer_sweep.GROUP)}
        again = {r.id for r in timer_failures.claim_due(second, DUE, timer_sweep.GROUP)}
        first.rollback()
        second.rollback()
    assert len(mine) == len(theirs) == timer_sweep.GROUP
    assert not mine & theirs
    assert again == theirs  # a transaction's own locks do not skip: it re-reads the rows it holds
    assert mine | theirs < set(ids)
