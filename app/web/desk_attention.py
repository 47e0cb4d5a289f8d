"""The needs-attention list as the desk shows it: each flagged case (services.attention) with what
keeps failing — its pending timers and undelivered outbox messages that have failed at least
once, with attempts, last error and next retry."""
from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from app import clock
from app.models import Case, OutboxMessage, Timer
from app.policy import Actor
from app.services.attention import attention_cases

_ATTEMPTS = re.compile(r"failed (\d+) times")


@dataclass
class Failure:
    kind: str                 # "timer" or "delivery"
    name: str                 # the timer's BPMN id or the message topic
    attempts: int
    last_error: str
    next_attempt_at: datetime | None


@dataclass
class AttentionRow:
    case: Case
    source: str               # "timer", "delivery" or "" (from the recorded reason)
    failures: list[Failure] = field(default_factory=list)

    @property
    def attempts(self) -> int | None:
        """The most attempts of anything still failing; else the count the reason recorded."""
        if self.failures:
            return max(f.attempts for f in self.failures)
        m = _ATTEMPTS.search(self.case.attention_reason or "")
        return int(m.group(1)) if m else None


def _source(reason: str | None) -> str:
    text = (reason or "").lower()
    if text.startswith("timer"):
        return "timer"
    if text.startswith("delivery"):
        return "delivery"
    return ""


def attention_rows(session: Session, actor: Actor) -> list[AttentionRow]:
    rows = [AttentionRow(c, _source(c.attention_reason)) for c in attention_cases(session, actor)]
    by_id = {r.case.id: r for r in rows}
    if not by_id:
        return rows
    timers = session.execute(select(Timer).where(Timer.case_id.in_(by_id), Timer.fired_at.is_(None),
                                                 Timer.attempts > 0).order_by(Timer.due_at)).scalars()
    for t in timers:
        by_id[t.case_id].failures.append(Failure("timer", t.spec_id, t.attempts, t.last_error or "",
                                                 clock.as_utc(t.next_attempt_at)))
    messages = session.execute(select(OutboxMessage).where(OutboxMessage.case_id.in_(by_id),
                                                           OutboxMessage.delivered_at.is_(None),
                                                           OutboxMessage.attempts > 0)
                               .order_by(OutboxMessage.id)).scalars()
    for m in messages:
        by_id[m.case_id].failures.append(Failure("delivery", m.topic, m.attempts, m.last_error or "",
                                                 clock.as_utc(m.next_attempt_at)))
    return rows


def attention_count(session: Session, actor: Actor) -> int:
    return len(attention_cases(session, actor))
