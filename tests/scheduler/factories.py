"""Instances of the tiny scheduler models (tests/scheduler/models) with timers due at a chosen time.

`start_instances` starts ONE real instance and copies its row and its timer row `count - 1` times in
the same transaction (doubling INSERT … SELECT, so 1,000 instances take a handful of statements).
Only the deadline model is copied: its timer interrupts the only user task and the process ends,
so copies never write ready-task rows (whose id is the engine task id and must stay unique)."""
from __future__ import annotations

from datetime import datetime, timedelta

import time_machine
from sqlalchemy import func, insert, literal, select

from app import clock
from app.db import db, unit_of_work
from app.models import Case, OutboxMessage, ProcessInstance, Timer
from app.policy import Actor
from app.services import definitions, workflow
from app.services.engine_context import EngineContext

DEADLINE = "Process_sched_deadline"      # user task + interrupting PT1H timer -> signal deadline_missed -> end
REMINDERS = "Process_sched_reminders"    # user task + non-interrupting R10/P1D cycle -> signal answer_reminder
TIMER_DELAY = timedelta(hours=1)


def start_instances(key: str, count: int = 1, data: dict | None = None, *, started_at: datetime,
                    case: Case | None = None) -> list[int]:
    """`count` instances started at `started_at` (their timer is due an hour later). Returns their ids."""
    with time_machine.travel(started_at, tick=False):
        with unit_of_work(db.session):
            ctx = EngineContext.load(db.session, clock.now())
            start_data = {"fail_on_fire": False, **(data or {})}
            loaded = workflow.start(ctx, definitions.latest(db.session, key), start_data, Actor.system("tests"), case)
            if count > 1:
                assert key == DEADLINE, "only the deadline model may be copied"
                copy_instance(loaded.row.id, count - 1)
            return list(db.session.execute(select(ProcessInstance.id).where(ProcessInstance.id >= loaded.row.id)
                                           .order_by(ProcessInstance.id)).scalars())


def copy_instance(instance_id: int, copies: int) -> None:
    session = db.session
    pi = ProcessInstance.__table__
    columns = [c for c in pi.c if c.name != "id"]
    made = 0
    while made < copies:
        n = min(made + 1, copies - made)
        source = select(*columns).where(pi.c.id >= instance_id).order_by(pi.c.id).limit(n)
        session.execute(insert(pi).from_select([c.name for c in columns], source))
        made += n
    t = Timer.__table__
    for timer in session.execute(select(Timer).where(Timer.instance_id == instance_id)).scalars().all():
        source = select(pi.c.id, literal(timer.task_id), literal(timer.spec_id), literal(timer.attached_to),
                        literal(timer.kind), literal(timer.due_at, t.c.due_at.type), literal(0)
                        ).where(pi.c.id > instance_id)
        session.execute(insert(t).from_select(
            ["instance_id", "task_id", "spec_id", "attached_to", "kind", "due_at", "attempts"], source))


def pending_due(now: datetime) -> int:
    return db.session.execute(select(func.count(Timer.id)).where(Timer.fired_at.is_(None), Timer.due_at <= now)
                              ).scalar_one()


def outbox_rows(topic: str) -> list[OutboxMessage]:
    return list(db.session.execute(select(OutboxMessage).where(OutboxMessage.topic == topic)
                                   .order_by(OutboxMessage.id)).scalars())
