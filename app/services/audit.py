"""Append to the hash-chained audit trail (in the caller's transaction) and verify the chain."""
from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass
from datetime import datetime, timezone

from sqlalchemy import select
from sqlalchemy.orm import Session

from app.models import AuditEvent, AuditHead
from app.policy import Actor

GENESIS = "0" * 64


def _digest(prev_hash: str, seq: int, at: datetime, actor_label: str, action: str, case_id, instance_id, detail) -> str:
    body = json.dumps(
        [prev_hash, seq, at.astimezone(timezone.utc).isoformat(timespec="microseconds"), actor_label, action, case_id, instance_id, detail],
        sort_keys=True,
        ensure_ascii=False,
        separators=(",", ":"),
        default=str,
    )
    return hashlib.sha256(body.encode()).hexdigest()


@dataclass
class Entry:
    actor: Actor
    action: str
    case_id: int | None = None
    instance_id: int | None = None
    detail: dict | None = None
    public: bool = False


def append(
    session: Session,
    actor: Actor,
    action: str,
    now: datetime,
    *,
    case_id: int | None = None,
    instance_id: int | None = None,
    detail: dict | None = None,
    public: bool = False,
) -> AuditEvent:
    return append_many(session, now, [Entry(actor, action, case_id, instance_id, detail, public)])[0]


def append_many(session: Session, now: datetime, entries: list[Entry]) -> list[AuditEvent]:
    """Chain several entries under one lock of the head row (one step's events and its action)."""
    head = session.execute(select(AuditHead).where(AuditHead.id == 1).with_for_update()).scalar_one_or_none()
    if head is None:
        head = AuditHead(id=1, seq=0, last_hash=GENESIS)
        session.add(head)
        session.flush()
    events = []
    for e in entries:
        detail = json.loads(json.dumps(e.detail or {}, ensure_ascii=False, default=str))
        seq = head.seq + 1
        digest = _digest(head.last_hash, seq, now, e.actor.label, e.action, e.case_id, e.instance_id, detail)
        events.append(AuditEvent(
            seq=seq, at=now, actor_id=e.actor.user_id, actor_label=e.actor.label, case_id=e.case_id,
            instance_id=e.instance_id, action=e.action, detail=detail, public=e.public,
            prev_hash=head.last_hash, hash=digest,
        ))
        head.seq, head.last_hash = seq, digest
    session.add_all(events)
    return events


def verify_chain(session: Session) -> tuple[bool, int, int | None]:
    """Recompute every hash in order. Returns (ok, events checked, first bad seq or None)."""
    prev = GENESIS
    count = 0
    for ev in session.execute(select(AuditEvent).order_by(AuditEvent.seq)).scalars():
        count += 1
        if ev.prev_hash != prev or ev.hash != _digest(
            ev.prev_hash, ev.seq, ev.at, ev.actor_label, ev.action, ev.case_id, ev.instance_id, ev.detail
        ):
            return False, count, ev.seq
        prev = ev.hash
    return True, count, None
