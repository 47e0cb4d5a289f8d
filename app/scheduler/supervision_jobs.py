"""The escalation ladder and the daily digest: thin job wrappers around the supervision services."""
from __future__ import annotations

from app import clock
from app.db import unit_of_work
from app.scheduler.job_env import JobEnv
from app.services import digest, escalation

DIGEST_LOCAL_HOUR = 8  # the digest goes out once a day, from 08:00 Asia/Shanghai (or on start if later)


def run_escalations(env: JobEnv) -> int:
    """One pass of the ladder (notice 50 %/80 %, overdue, 催办, 督办); returns the steps fired."""
    with unit_of_work(env.session):
        return escalation.run_escalations(env.context(clock.now()),
                                          supervision_after_workdays=env.settings.supervision_after_workdays,
                                          smtp_host=env.settings.smtp_host)


def send_daily_digest(env: JobEnv) -> int:
    """From DIGEST_LOCAL_HOUR on; the service sends once per local date (its own JobRun row)."""
    now = clock.now()
    if clock.local(now).hour < DIGEST_LOCAL_HOUR:
        return 0
    with unit_of_work(env.session):
        return digest.send_daily_digest(env.context(now))
