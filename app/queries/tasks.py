"""Read side for task lists."""
from __future__ import annotations

from sqlalchemy import or_, select
from sqlalchemy.orm import Session

from app.models import ReadyTask
from app.policy import Actor


def tasks_for(session: Session, actor: Actor, limit: int = 200) -> list[ReadyTask]:
    """Ready tasks the actor may act on, least time left first (no due date last)."""
    q = select(ReadyTask)
    if actor.role == "process_owner":
        q = q.where(or_(ReadyTask.role == "process_owner"))
    else:
        q = q.where(ReadyTask.role == actor.role, ReadyTask.org_id == actor.org_id)
    q = q.order_by(ReadyTask.due_at.is_(None), ReadyTask.due_at, ReadyTask.created_at).limit(limit)
    return list(session.execute(q).scalars())
