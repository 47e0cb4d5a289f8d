"""The scheduler lease (SQLite runs exactly one scheduler): a row naming its holder until it
expires. The holder renews it every few ticks; another process may take it only after expiry."""
from __future__ import annotations

from datetime import datetime, timedelta

from sqlalchemy import delete, select
from sqlalchemy.orm import Session

from app.models import SchedulerLease

LEASE_NAME = "scheduler"


class LeaseHeld(Exception):
    def __init__(self, holder: str, expires_at: datetime):
        super().__init__(f"another scheduler ({holder}) holds the lease until {expires_at.isoformat()}; "
                         f"SQLite runs only one scheduler process — stop it first, or use PostgreSQL for several")
        self.holder = holder
        self.expires_at = expires_at


def lease_seconds(tick_seconds: float) -> float:
    return max(30.0, 6 * tick_seconds)


def _locked(session: Session) -> SchedulerLease | None:
    return session.execute(select(SchedulerLease).where(SchedulerLease.name == LEASE_NAME)
                           .with_for_update()).scalar_one_or_none()


def acquire(session: Session, holder: str, now: datetime, seconds: float) -> None:
    """Take the lease or raise LeaseHeld (caller's transaction; SQLite's BEGIN IMMEDIATE serialises)."""
    row = _locked(session)
    if row is None:
        session.add(SchedulerLease(name=LEASE_NAME, holder=holder, expires_at=now + timedelta(seconds=seconds)))
        session.flush()
        return
    if row.holder != holder and row.expires_at > now:
        raise LeaseHeld(row.holder, row.expires_at)
    row.holder = holder
    row.expires_at = now + timedelta(seconds=seconds)


def renew(session: Session, holder: str, now: datetime, seconds: float) -> bool:
    """Extend our lease; False when another process holds it now (ours expired and was taken)."""
    try:
        acquire(session, holder, now, seconds)
    except LeaseHeld:
        return False
    return True


def release(session: Session, holder: str) -> None:
    session.execute(delete(SchedulerLease).where(SchedulerLease.name == LEASE_NAME, SchedulerLease.holder == holder))
