"""The scheduler process: the SQLite lease (one scheduler), refusal of a second process, clean stop."""
from datetime import datetime, timedelta

import pytest
from sqlalchemy import select

from app.db import db, unit_of_work
from app.models import SchedulerLease
from app.scheduler import lease
from tests.conftest import DATABASE
from tests.scheduler.processes import SchedulerProcesses

NOW = datetime.fromisoformat("2026-03-02T10:00:00+08:00")


def test_the_lease_refuses_a_second_holder_until_it_expires(sched):
    with unit_of_work(db.session):
        lease.acquire(db.session, "a", NOW, 30)
    with pytest.raises(lease.LeaseHeld, match="only one scheduler"):
        with unit_of_work(db.session):
            lease.acquire(db.session, "b", NOW + timedelta(seconds=29), 30)
    with unit_of_work(db.session):
        assert lease.renew(db.session, "a", NOW + timedelta(seconds=20), 30)  # now valid until +50 s
    with pytest.raises(lease.LeaseHeld):
        with unit_of_work(db.session):
            lease.acquire(db.session, "b", NOW + timedelta(seconds=45), 30)
    with unit_of_work(db.session):
        lease.acquire(db.session, "b", NOW + timedelta(seconds=51), 30)  # expired: taken over
        assert not lease.renew(db.session, "a", NOW + timedelta(seconds=52), 30)
        lease.release(db.session, "b")
    assert db.session.execute(select(SchedulerLease)).first() is None


@pytest.mark.skipif(DATABASE != "sqlite", reason="the one-scheduler lease applies to SQLite only; "
                                                 "PostgreSQL runs several (tests/scheduler/test_fault_tolerance.py)")
def test_on_sqlite_a_second_scheduler_refuses_to_start_and_the_first_stops_cleanly(sched, settings, tmp_path):
    with SchedulerProcesses(settings, tmp_path) as procs:
        first = procs.start("first")
        procs.wait_started(first)
        second = procs.start("second")
        assert second.wait(timeout=30) != 0
        assert "another scheduler (first@" in procs.output(second)
        assert "only one scheduler" in procs.output(second)
        with pytest.raises(Exception, match="only one scheduler"):  # so does --once while it runs
            sched.test_cli_runner().invoke(args=["lvyue", "scheduler", "--once"], catch_exceptions=False,
                                           standalone_mode=False)
        assert procs.stop(first) == 0
        assert "scheduler first: fired 0 timer(s)" in procs.output(first)
    assert db.session.execute(select(SchedulerLease)).first() is None  # released on stop
