"""The escalation ladder and the daily digest: thin job wrappers around the supervision services."""
from __future__ import annotations

from app import clock
from app.db import unit_of_work
from app.scheduler.job_env import JobEnv, log
from app.scheduler.optional_services import call_with_settings, optional_service

DIGEST_LOCAL_HOUR = 8  # the digest goes out once a day, from 08:00 Asia/Shanghai (or on start if later)


def run_escalations(env: JobEnv) -> int:
    """One pass of the ladder (notice 50 %/80 %, overdue, 催办, 督办); returns the steps fired."""
    service = optional_service("app.services.escalation", "run_escalations")
    if service is None:
        log.info("escalations skipped: app.services.escalation is not installed")
        return 0
    with unit_of_work(env.session):
        return call_with_settings(service, env.context(clock.now()), env.settings) or 0


def send_daily_digest(env: JobEnv) -> int:
    """From DIGEST_LOCAL_HOUR on; the service sends once per local date (its own JobRun row)."""
    service = optional_service("app.services.digest", "send_daily_digest")
    if service is None:
        log.info("daily digest skipped: app.services.digest is not installed")
        return 0
    now = clock.now()
    if clock.local(now).hour < DIGEST_LOCAL_HOUR:
        return 0
    with unit_of_work(env.session):
        return call_with_settings(service, env.context(now), env.settings) or 0
