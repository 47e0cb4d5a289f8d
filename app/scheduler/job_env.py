"""What every job gets (session, settings, stop flag) and the once-per-day guard of daily jobs."""
from __future__ import annotations

import logging
import threading
from dataclasses import dataclass, field
from datetime import date, datetime

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from app.config import Settings
from app.models import JobRun
from app.services.engine_context import EngineContext

log = logging.getLogger("lvyue.scheduler")


@dataclass
class JobEnv:
    session: Session
    settings: Settings
    stop: threading.Event = field(default_factory=threading.Event)  # set on SIGTERM: finish the item, return

    def context(self, now: datetime) -> EngineContext:
        return EngineContext.load(self.session, now, self.settings.script_time_limit)


def claim_daily_run(session: Session, job: str, day: date, now: datetime, detail: str = "") -> bool:
    """Record that `job` runs for local date `day`, in the caller's transaction. False when it already
    ran (or another scheduler process is running it right now: the unique (job, period) decides)."""
    period = day.isoformat()
    if session.execute(select(JobRun.id).where(JobRun.job == job, JobRun.period == period)).first():
        return False
    try:
        with session.begin_nested():
            session.add(JobRun(job=job, period=period, ran_at=now, detail=detail))
    except IntegrityError:
        return False
    return True
