"""Once a day: remove attachment files no case refers to (services.attachment_cleanup)."""
from __future__ import annotations

from app import clock
from app.db import unit_of_work
from app.scheduler.job_env import JobEnv, claim_daily_run
from app.services import attachment_cleanup, audit
from app.services.timer_failures import SCHEDULER

CLEANUP_JOB = "attachment_cleanup"


def clean_attachment_store(env: JobEnv) -> int:
    """Returns how many files were removed today (0 when the job already ran today)."""
    now = clock.now()
    with unit_of_work(env.session):
        if not claim_daily_run(env.session, CLEANUP_JOB, clock.local(now).date(), now):
            return 0
        removed = attachment_cleanup.remove_unreferenced(env.session, env.settings.attachments_path, now)
        if removed:
            audit.append(env.session, SCHEDULER, "attachment_files_removed", now,
                         detail={"files": removed, "grace_hours": attachment_cleanup.GRACE.total_seconds() / 3600})
        return removed
