"""Once a day: warn admins and supervisors while the working-day calendar misses this or next year."""
from __future__ import annotations

from app import clock
from app.db import unit_of_work
from app.scheduler.job_env import JobEnv, claim_daily_run
from app.services import audit
from app.services.notifications import notify_role
from app.services.timer_failures import SCHEDULER

COVERAGE_JOB = "calendar_coverage"
WARNED_ROLES = ("admin", "supervisor")


def check_calendar_coverage(env: JobEnv) -> int:
    """Returns the number of warnings raised today (0 or 1)."""
    now = clock.now()
    today = clock.local(now).date()
    with unit_of_work(env.session):
        if not claim_daily_run(env.session, COVERAGE_JOB, today, now):
            return 0
        ctx = env.context(now)
        message = ctx.calendar.coverage_warning(today)
        if message is None:
            return 0
        notified = sum(notify_role(ctx, role, kind="calendar_coverage", title="【工作日历】下一年度节假日安排尚未载入",
                                   body=message, smtp_host=env.settings.smtp_host) for role in WARNED_ROLES)
        audit.append(env.session, SCHEDULER, "calendar_coverage_warning", now,
                     detail={"date": today.isoformat(), "message": message, "notified": notified})
        return 1
