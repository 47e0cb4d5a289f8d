"""The only wall-clock read in our code. Tests move time with time-machine."""
from __future__ import annotations

from datetime import datetime, timezone
from zoneinfo import ZoneInfo

SHANGHAI = ZoneInfo("Asia/Shanghai")


def now() -> datetime:
    """Aware UTC now."""
    return datetime.now(timezone.utc)


def local(dt: datetime) -> datetime:
    """Convert an aware datetime to Asia/Shanghai (naive values are taken as UTC)."""
    if dt.tzinfo is None:
        dt = dt.replace(tzinfo=timezone.utc)
    return dt.astimezone(SHANGHAI)


def as_utc(dt: datetime | None) -> datetime | None:
    """Normalise a datetime read back from the database (SQLite drops tzinfo) to aware UTC."""
    if dt is None:
        return None
    if dt.tzinfo is None:
        return dt.replace(tzinfo=timezone.utc)
    return dt.astimezone(timezone.utc)
