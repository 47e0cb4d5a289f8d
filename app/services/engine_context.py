"""Everything one transaction needs to run the engine: time, calendar, directory, script helpers."""
from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime

from sqlalchemy.orm import Session

from app import clock
from app.calendar import WorkingCalendar
from app.engine import ScriptEnvironment
from app.services.directory import Directory
from app.services.reference_cache import reference_data

HELPER_NAMES = frozenset(
    {"add_workdays", "add_days", "workdays_between", "now_iso", "route_org", "credit_office_for", "org_name"}
)


def _parse_moment(value) -> datetime:
    if isinstance(value, datetime):
        moment = value
    else:
        moment = datetime.fromisoformat(str(value))
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=clock.SHANGHAI)
    return moment


@dataclass
class EngineContext:
    session: Session
    now: datetime
    directory: Directory
    calendar: WorkingCalendar
    script_time_limit: float = 2.0
    _env: ScriptEnvironment | None = field(default=None, repr=False)

    @classmethod
    def load(cls, session: Session, now: datetime, script_time_limit: float = 2.0) -> "EngineContext":
        directory, calendar = reference_data(session)
        return cls(session=session, now=now, directory=directory, calendar=calendar,
                   script_time_limit=script_time_limit)

    def helpers(self) -> dict:
        cal = self.calendar

        def add_workdays(start, n):
            return cal.add_workdays(_parse_moment(start), int(n)).isoformat()

        def add_days(start, n):
            return cal.add_calendar_days(_parse_moment(start), int(n)).isoformat()

        def workdays_between(a, b):
            return cal.workdays_between(_parse_moment(a), _parse_moment(b))

        def now_iso():
            return clock.local(clock.now()).isoformat(timespec="seconds")

        return {
            "add_workdays": add_workdays,
            "add_days": add_days,
            "workdays_between": workdays_between,
            "now_iso": now_iso,
            "route_org": self.directory.route_org,
            "credit_office_for": self.directory.credit_office_for,
            "org_name": self.directory.org_name,
        }

    @property
    def env(self) -> ScriptEnvironment:
        if self._env is None:
            self._env = ScriptEnvironment(self.helpers(), time_limit=self.script_time_limit)
        return self._env
