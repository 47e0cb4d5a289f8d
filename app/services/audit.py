"""Append to the hash-chained audit trail (in the caller's transaction) and verify the chain."""
from __future__ import annotations

import hashlib
import json
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
    head = session.execute(select(AuditHead).where(AuditHead.id == 1).with_for_update()).scalar_one_or_none()
    if head is None:
        head = AuditHead(id=1, seq=0, last_hash=GENESIS)
        session.add(head)
        session.flush()
    detail = json.loads(json.dumps(detail or {}, ensure_ascii=False, default=str))
    seq = head.seq + 1
    digest = _digest(head.last_hash, seq, now, actor.label, action, case_id, instance_id, detail)
    event = AuditEvent(
        seq=seq, at=now, actor_id=actor.user_id, actor_label=actor.label, case_id=case_id,
        instance_id=instance_id, action=action, detail=detail, public=public,
        prev_hash=head.last_hash, hash=digest,
    )
    head.seq = seq
    head.last_hash = digest
    session.add(event)
    return event


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
