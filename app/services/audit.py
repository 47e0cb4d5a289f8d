"""Append to the hash-chained audit trail (in the caller's transaction) and verify the chain."""
from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass
from datetime import datetime, timezone

from sqlalchemy import select
from sqlalchemy.orm import Session

from app.models import AuditChain, AuditEvent
from app.policy import Actor

GENESIS = "0" * 64


def _digest(prev_hash: str, seq: int, at: datetime, actor_label: str, action: str, case_id, instance_id, detail) -> str:
    body = json.dumps(
        [prev_hash, seq, at.astimezone(timezone.utc).isoformat(timespec="microseconds"), actor_label, action, case_id,
         instance_id, detail],
        sort_keys=True,
        ensure_ascii=False,
        separators=(",", ":"),
        default=str,
    )
    return hashlib.sha256(body.encode()).hexdigest()


def entry_digest(ev: AuditEvent) -> str:
    """The hash an entry must carry, recomputed from its content and the previous hash."""
    return _digest(ev.prev_hash, ev.seq, ev.at, ev.actor_label, ev.action, ev.case_id, ev.instance_id, ev.detail)


@dataclass
class Entry:
    actor: Actor
    action: str
    case_id: int | None = None
    instance_id: int | None = None
    detail: dict | None = None
    public: bool = False

    @property
    def chain(self) -> str:
        if self.case_id is not None:
            return f"case:{self.case_id}"
        if self.instance_id is not None:
            return f"instance:{self.instance_id}"
        return "system"


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


def chain_of(case_id: int | None, instance_id: int | None) -> str:
    return Entry(Actor.system("audit"), "", case_id, instance_id).chain


def lock_heads(session: Session, chains: list[str]) -> dict[str, AuditChain]:
    """Lock the heads of several chains in one statement (sorted, so two such callers never wait on
    each other in a cycle); chains without a head get a new one, inserted at the next flush (a
    concurrent first append then fails that flush and the caller's transaction is retried).
    Pass the result to `append_many(heads=…)` for the rest of this transaction."""
    wanted = sorted(set(chains))
    heads = {h.chain: h for h in session.execute(
        select(AuditChain).where(AuditChain.chain.in_(wanted)).order_by(AuditChain.chain).with_for_update()).scalars()}
    for chain in wanted:
        if chain not in heads:
            heads[chain] = AuditChain(chain=chain, seq=0, last_hash=GENESIS)
            session.add(heads[chain])
    return heads


def _head(session: Session, chain: str) -> AuditChain:
    head = lock_heads(session, [chain])[chain]
    if head in session.new:
        session.flush()  # a concurrent first append to the same chain fails here and is retried at the boundary
    return head


def append_many(session: Session, now: datetime, entries: list[Entry],
                heads: dict[str, AuditChain] | None = None, sink: list | None = None) -> list[AuditEvent]:
    """Chain the entries onto their chains (one head lock per chain touched), in order. `heads`:
    chains this transaction has already locked (`lock_heads`); heads locked here are added to it.
    `sink`: collect the new entries there (the caller inserts them in bulk, `db.insert_rows`)
    instead of adding them to the session."""
    heads = {} if heads is None else heads
    events = []
    for e in entries:
        head = heads.get(e.chain) or heads.setdefault(e.chain, _head(session, e.chain))
        detail = json.loads(json.dumps(e.detail or {}, ensure_ascii=False, default=str))
        seq = head.seq + 1
        digest = _digest(head.last_hash, seq, now, e.actor.label, e.action, e.case_id, e.instance_id, detail)
        events.append(AuditEvent(
            chain=e.chain, seq=seq, at=now, actor_id=e.actor.user_id, actor_label=e.actor.label, case_id=e.case_id,
            instance_id=e.instance_id, action=e.action, detail=detail, public=e.public,
            prev_hash=head.last_hash, hash=digest,
        ))
        head.seq, head.last_hash = seq, digest
    if sink is not None:
        sink.extend(events)
    else:
        session.add_all(events)
    return events


@dataclass
class ChainReport:
    ok: bool
    events: int
    chains: int
    broken_chain: str | None = None
    broken_seq: int | None = None


def verify_chain(session: Session) -> ChainReport:
    """Recompute every chain: each entry's hash over its content and the previous hash, sequence
    without gaps, and the head matching the last entry (a deleted tail is detected)."""
    heads = {h.chain: h for h in session.execute(select(AuditChain)).scalars()}
    count, expected = 0, {}
    for ev in session.execute(select(AuditEvent).order_by(AuditEvent.chain, AuditEvent.seq)).scalars():
        count += 1
        prev_seq, prev_hash = expected.get(ev.chain, (0, GENESIS))
        if ev.seq != prev_seq + 1 or ev.prev_hash != prev_hash or ev.hash != entry_digest(ev):
            return ChainReport(False, count, len(heads), ev.chain, ev.seq)
        expected[ev.chain] = (ev.seq, ev.hash)
    for chain, head in heads.items():
        if expected.get(chain, (0, GENESIS)) != (head.seq, head.last_hash):
            return ChainReport(False, count, len(heads), chain, head.seq)
    return ChainReport(True, count, len(heads))
