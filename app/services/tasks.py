"""Complete a user task: lock, check it is still ready and the actor may act, validate, advance."""
from __future__ import annotations

from sqlalchemy import select

from app.errors import InvalidSubmission, NotAllowed, NotFound, TaskNotAvailable
from app.models import Case, ReadyTask, TaskLog
from app.policy import Actor, can_act_on_task, can_view_case
from app.services import claims, workflow
from app.services.engine_context import EngineContext
from app.task_forms import validate


def _check_may_act(ctx: EngineContext, actor: Actor, task: ReadyTask) -> None:
    if not can_act_on_task(actor, task):
        case = ctx.session.get(Case, task.case_id) if task.case_id else None
        if case is None or not can_view_case(actor, case) or not actor.is_staff:
            raise NotFound("task not found")  # another org's task does not exist for this caller
        raise TaskNotAvailable("this task is for another role or organisation")


def _check_claim(ctx: EngineContext, actor: Actor, task: ReadyTask, locale: str) -> None:
    """A task claimed by one user is completed by that user only (complainant tasks are never claimed)."""
    if task.claimed_by_id is None or task.role == "complainant" or task.claimed_by_id == actor.user_id:
        return
    holder = claims.holder_label(ctx.session, task.claimed_by_id)
    raise NotAllowed(claims.message("complete_held", locale, holder=holder), holder=holder,
                     holder_id=task.claimed_by_id)


def _raise_for_finished(ctx: EngineContext, actor: Actor, task_id: str) -> None:
    """A task that has left the ready list: 409 for those who could see it, 404 for everyone else."""
    ended = ctx.session.execute(
        select(TaskLog).where(TaskLog.task_id == task_id).order_by(TaskLog.id.desc()).limit(1)
    ).scalar_one_or_none()
    case = ctx.session.get(Case, ended.case_id) if ended is not None and ended.case_id else None
    visible = can_act_on_task(actor, ended) if ended is not None else False
    if ended is not None and not visible and actor.is_staff and case is not None:
        visible = can_view_case(actor, case)
    if visible:
        if ended.state == "cancelled":
            raise TaskNotAvailable("this task was cancelled (deadline passed, withdrawn or re-routed)")
        raise TaskNotAvailable(f"this task was already completed by {ended.completed_by_label}")
    raise NotFound("task not found")


def complete_task(ctx: EngineContext, actor: Actor, task_id: str, data: dict, locale: str = "zh") -> workflow.Loaded:
    """Returns the loaded instance after the step (its ready tasks are in the projection)."""
    if not isinstance(data, dict):
        raise InvalidSubmission({"data": ["must be an object" if locale == "en" else "必须是对象"]})
    loaded = workflow.load_locked_for_task(ctx, task_id)
    # the projection as re-read under the lock: another request may have finished the task meanwhile
    task = loaded.ready_rows.get(task_id) if loaded is not None else None
    if task is None:
        _raise_for_finished(ctx, actor, task_id)
    _check_may_act(ctx, actor, task)
    _check_claim(ctx, actor, task, locale)
    schema = loaded.definition.form(task.form)
    if schema is not None:
        validate(schema, data, locale=locale, org_codes=set(ctx.directory.by_code))
    loaded.engine.complete_task(task_id, data)
    workflow.log_completion(ctx, loaded, task, actor, data)
    workflow.persist(ctx, loaded, actor, "task_completed",
                     {"task_id": task.id, "task": task.spec_id, "name": task.name, "role": task.role},
                     public=True)
    return loaded
