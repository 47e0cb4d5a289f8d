"""The fixed job registry: what the scheduler process runs, and how often. Nothing else schedules
jobs; `--once` runs each of them once in this order (the outbox last, so it delivers what the
other jobs queued)."""
from __future__ import annotations

from dataclasses import dataclass
from typing import Callable

from app.config import Settings
from app.scheduler.attachment_cleanup import clean_attachment_store
from app.scheduler.coverage_check import check_calendar_coverage
from app.scheduler.job_env import JobEnv
from app.scheduler.outbox_delivery import deliver_outbox
from app.scheduler.supervision_jobs import run_escalations, send_daily_digest
from app.scheduler.timer_sweep import fire_due_timers


@dataclass(frozen=True)
class Job:
    name: str
    run: Callable[[JobEnv], int]        # one pass; returns how many items it handled
    every: Callable[[Settings], float]  # seconds between passes


def _tick(settings: Settings) -> float:
    return settings.scheduler_tick_seconds


JOBS: tuple[Job, ...] = (
    Job("fire_timers", fire_due_timers, _tick),
    Job("escalations", run_escalations, lambda s: max(s.scheduler_tick_seconds, 60.0)),
    Job("calendar_coverage", check_calendar_coverage, lambda s: 600.0),  # once a day (JobRun)
    Job("daily_digest", send_daily_digest, lambda s: 600.0),            # once a day from 08:00 (JobRun)
    Job("attachment_cleanup", clean_attachment_store, lambda s: 600.0),  # once a day (JobRun)
    Job("deliver_outbox", deliver_outbox, _tick),
)
