"""Per-process caches of the org directory and the working-day calendar.

Both are read by every engine step but change rarely. Each write to them calls `bump`, which
puts a new token in `cache_versions` in the same transaction; every process compares tokens
(one small query) and reloads only what changed."""
from __future__ import annotations

import uuid

from sqlalchemy import select
from sqlalchemy.orm import Session

from app.calendar import WorkingCalendar
from app.models import CacheVersion
from app.services.calendar_source import load_calendar
from app.services.directory import Directory

DIRECTORY = "directory"
CALENDAR = "calendar"

_cache: dict[tuple[str, str], tuple[str, object]] = {}


def bump(session: Session, name: str) -> None:
    row = session.get(CacheVersion, name)
    token = uuid.uuid4().hex
    if row is None:
        session.add(CacheVersion(name=name, token=token))
    else:
        row.token = token


def _tokens(session: Session) -> dict[str, str]:
    return dict(session.execute(select(CacheVersion.name, CacheVersion.token)).all())


def _cached(key: tuple, token: str, loader):
    hit = _cache.get(key)
    if hit is not None and hit[0] == token:
        return hit[1]
    value = loader()
    _cache[key] = (token, value)
    return value


def database_key(session: Session) -> str:
    """Caches are per database (a process may talk to more than one, e.g. in tests)."""
    return session.get_bind().url.render_as_string(hide_password=True)


def reference_data(session: Session) -> tuple[Directory, WorkingCalendar]:
    tokens, db_key = _tokens(session), database_key(session)
    directory = _cached((db_key, DIRECTORY), tokens.get(DIRECTORY, "-"), lambda: Directory.load(session))
    calendar = _cached((db_key, CALENDAR), tokens.get(CALENDAR, "-"), lambda: load_calendar(session))
    return directory, calendar
