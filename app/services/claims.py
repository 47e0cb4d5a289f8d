"""Claim (认领) and release an open task, so colleagues of the same org see who is working on it.

A claim only marks the task: others can still open it read-only, and only the holder completes
it (`tasks.complete_task`). Claims run under the instance row lock like every step, so a claim
and a completion of the same case never interleave."""
from __future__ import annotations

from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from app.errors import Conflict, NotAllowed, NotFound
from app.models import Case, ProcessInstance, ReadyTask, User
from app.policy import Actor, can_act_on_task, can_claim_task, can_release_claim, can_view_case
from app.services import audit

_MESSAGES = {
    "held": {"zh": "该任务已由{holder}认领，请联系其本人或上级监督人员释放", "en": "this task is claimed by {holder}; "
             "ask them, or a supervisor of the region, to release it"},
    "not_yours": {"zh": "该任务由{holder}认领，只有本人或本地区监督人员可以释放",
                  "en": "this task is claimed by {holder}; only they or a supervisor of the region may release it"},
    "complete_held": {"zh": "该任务已由{holder}认领，只有认领人可以办理提交",
                      "en": "this task is claimed by {holder}; only they can complete it"},
}


def message(key: str, locale: str, **params) -> str:
    table = _MESSAGES[key]
    return table.get(locale, table["zh"]).format(**params)


def holder_label(session: Session, user_id: int | None) -> str:
    user = session.get(User, user_id) if user_id is not None else None
    if user is None:
        return str(user_id)
    return f"{user.display_name}（{user.username}）" if user.display_name != user.username else user.username


def _locked_task(session: Session, task_id) -> ReadyTask | None:
    """Lock the owning instance row first (the order every step uses), then re-read the task."""
    owner = select(ReadyTask.instance_id).where(ReadyTask.id == str(task_id)).scalar_subquery()
    instance = session.execute(select(ProcessInstance.id).where(ProcessInstance.id == owner).with_for_update())
    if instance.scalar_one_or_none() is None:
        return None
    return session.execute(select(ReadyTask).where(ReadyTask.id == str(task_id))
                           .execution_options(populate_existing=True)).scalar_one_or_none()


def _audit(session: Session, now: datetime, actor: Actor, action: str, task: ReadyTask, **extra) -> None:
    audit.append(session, actor, action, now, case_id=task.case_id, instance_id=task.instance_id,
                 detail={"task_id": task.id, "task": task.spec_id, "name": task.name, **extra})


def claim_task(session: Session, now: datetime, actor: Actor, task_id, locale: str = "zh") -> ReadyTask:
    """Claim an open task. NotFound unless the actor may act on it; Conflict when someone else
    holds it (the message names them). Claiming one's own claim again changes nothing."""
    task = _locked_task(session, task_id)
    if task is None or not can_claim_task(actor, task):
        raise NotFound("task not found")
    if task.claimed_by_id == actor.user_id:
        return task
    if task.claimed_by_id is not None:
        holder = holder_label(session, task.claimed_by_id)
        raise Conflict(message("held", locale, holder=holder), holder=holder, holder_id=task.claimed_by_id)
    task.claimed_by_id = actor.user_id
    _audit(session, now, actor, "task_claimed", task)
    session.flush()
    return task


def unclaim_task(session: Session, now: datetime, actor: Actor, task_id, locale: str = "zh") -> ReadyTask:
    """Release a claim: the holder's own, or anyone's by a supervisor of the case's region.
    NotFound for those who can neither act on the task nor view its case; releasing an unclaimed
    task changes nothing."""
    task = _locked_task(session, task_id)
    case = session.get(Case, task.case_id) if task is not None and task.case_id else None
    visible = task is not None and actor.is_staff and (
        can_act_on_task(actor, task) or (case is not None and can_view_case(actor, case)))
    if not visible:
        raise NotFound("task not found")
    if task.claimed_by_id is None:
        return task
    if not can_release_claim(actor, task, case):
        holder = holder_label(session, task.claimed_by_id)
        raise NotAllowed(message("not_yours", locale, holder=holder), holder=holder, holder_id=task.claimed_by_id)
    released = task.claimed_by_id
    task.claimed_by_id = None
    _audit(session, now, actor, "task_unclaimed", task, released_user_id=released,
           released=holder_label(session, released), by_holder=released == actor.user_id)
    session.flush()
    return task
