"""Daily jobs run once per local date: the calendar-coverage warning; services not installed yet are skipped."""
from datetime import datetime, timedelta

import time_machine
from sqlalchemy import func, select

from app.db import db
from app.models import AuditEvent, JobRun, Notification, User
from app.scheduler.coverage_check import check_calendar_coverage
from app.scheduler.job_env import JobEnv
from app.scheduler.supervision_jobs import send_daily_digest

DECEMBER = datetime.fromisoformat("2026-12-05T10:00:00+08:00")  # 2027's schedule is not loaded


def check(app, at) -> int:
    with time_machine.travel(at, tick=False):
        return check_calendar_coverage(JobEnv(db.session, app.extensions["lvyue.settings"]))


def notified_roles() -> set[str]:
    return set(db.session.execute(select(User.role).join(Notification, Notification.user_id == User.id)
                                  .where(Notification.kind == "calendar_coverage")).scalars())


def test_in_december_admins_and_supervisors_are_warned_once_a_day(sched):
    assert check(sched, DECEMBER) == 1
    assert notified_roles() == {"admin", "supervisor"}
    [warning] = db.session.execute(select(AuditEvent).where(AuditEvent.action == "calendar_coverage_warning")).scalars()
    assert "2027" in warning.detail["message"]
    assert check(sched, DECEMBER + timedelta(hours=3)) == 0
    assert check(sched, DECEMBER + timedelta(days=1)) == 1


def test_a_covered_calendar_records_the_run_and_warns_nobody(sched):
    assert check(sched, datetime.fromisoformat("2026-03-02T10:00:00+08:00")) == 0
    assert db.session.execute(select(JobRun.period).where(JobRun.job == "calendar_coverage")).scalar_one() == "2026-03-02"
    assert db.session.execute(select(func.count(Notification.id))).scalar_one() == 0


def test_the_digest_job_waits_for_eight_oclock_local_time(sched):
    env = JobEnv(db.session, sched.extensions["lvyue.settings"])
    with time_machine.travel(datetime.fromisoformat("2026-03-02T07:30:00+08:00"), tick=False):
        send_daily_digest(env)
    assert db.session.execute(select(JobRun.id).where(JobRun.job == "daily_digest")).first() is None
    with time_machine.travel(datetime.fromisoformat("2026-03-02T08:05:00+08:00"), tick=False):
        send_daily_digest(env)
    assert db.session.execute(select(JobRun.period).where(JobRun.job == "daily_digest")).scalar_one() == "2026-03-02"
