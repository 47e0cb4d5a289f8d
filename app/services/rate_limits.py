"""Fixed-window failure counting for public endpoints (a brute force on query codes is stopped
after LIMIT wrong codes per client address in WINDOW, whatever case it aims at)."""
from __future__ import annotations

from datetime import datetime, timedelta

from sqlalchemy import select
from sqlalchemy.orm import Session

from app.models import RateLimitBucket

WINDOW = timedelta(minutes=15)
LIMIT = 10


def is_blocked(session: Session, key: str, now: datetime, limit: int = LIMIT) -> bool:
    bucket = session.get(RateLimitBucket, key)
    return bucket is not None and bucket.window_start > now - WINDOW and bucket.count >= limit


def record_failure(session: Session, key: str, now: datetime) -> int:
    """Count one failure (in the caller's transaction); returns the count in the current window."""
    bucket = session.execute(select(RateLimitBucket).where(RateLimitBucket.key == key).with_for_update()
                             ).scalar_one_or_none()
    if bucket is None:
        bucket = RateLimitBucket(key=key, window_start=now, count=0)
        session.add(bucket)
    elif bucket.window_start <= now - WINDOW:
        bucket.window_start, bucket.count = now, 0
    bucket.count += 1
    return bucket.count
