"""延期: a task's assignees ask for more working days; a supervisor of the case's region decides.

At most one extension is granted per task (≤ `max_workdays`, 10 by default). A task whose due
rule is `until <variable>` (e.g. the rectification deadline) is not extended here: that date
belongs to the case, and the process model has its own extension step for it."""
from __future__ import annotations

from sqlalchemy import select

from app import clock
from app.db import lock_row
from app.errors import Conflict, NotAllowed, NotFound
from app.models import Case, ExtensionRequest, ReadyTask
from app.policy import Actor, can_request_extension, can_supervise_case, can_view_case
from app.services import audit, notifications
from app.services.engine_context import EngineContext
from app.services.supervision_access import FieldChecks, visible_task

MAX_WORKDAYS = 10


def request_extension(ctx: EngineContext, actor: Actor, task_id: str, workdays, reason,
                      max_workdays: int = MAX_WORKDAYS) -> ExtensionRequest:
    task, case = visible_task(ctx, actor, task_id)
    if not can_request_extension(actor, task):
        raise NotAllowed("only the task's assignees may ask for more time")
    checks = FieldChecks()
    workdays = checks.integer("workdays", workdays, 1, max_workdays)
    reason = checks.text("reason", reason)
    checks.done()
    if (task.due_rule or "").strip().lower().startswith("until"):
        raise Conflict("this deadline is set in the case itself (until …); use the process's own extension step "
                       "(e.g. the supervisor's decision on an overdue rectification) to change it")
    if task.due_at is None:
        raise Conflict("this task has no due date yet (provisional); nothing to extend")
    _refuse_if_exists(ctx, task.id, "approved", "an extension was already granted for this task (once only)")
    _refuse_if_exists(ctx, task.id, "pending", "an extension request for this task is already waiting for a decision")
    row = ExtensionRequest(task_id=task.id, case_id=task.case_id, workdays=workdays, reason=reason, status="pending",
                           requested_by_id=actor.user_id, requested_at=ctx.now, decision_note="")
    ctx.session.add(row)
    ctx.session.flush()
    audit.append(ctx.session, actor, "extension_requested", ctx.now, case_id=task.case_id,
                 instance_id=task.instance_id,
                 detail={"request_id": row.id, "task_id": task.id, "task": task.spec_id, "workdays": workdays})
    if case is not None:
        notifications.notify_role(ctx, "supervisor", case.supervising_org_id, kind="extension_requested",
                                  title=f"【延期申请】{case.case_no}「{task.name}」申请延期{workdays}个工作日",
                                  body=reason, case_id=case.id)
    return row


def _refuse_if_exists(ctx: EngineContext, task_id: str, status: str, message: str) -> None:
    found = ctx.session.execute(select(ExtensionRequest.id).where(
        ExtensionRequest.task_id == task_id, ExtensionRequest.status == status).limit(1)).scalar_one_or_none()
    if found is not None:
        raise Conflict(message)


def decide_extension(ctx: EngineContext, actor: Actor, request_id: int, approve, note="") -> ExtensionRequest:
    session = ctx.session
    req = lock_row(session, ExtensionRequest, request_id)
    case = session.get(Case, req.case_id) if req is not None and req.case_id else None
    if req is None or case is None or not can_view_case(actor, case):
        raise NotFound("extension request not found")
    if not can_supervise_case(actor, case):
        raise NotAllowed("only a supervisor of the case's region decides extensions")
    checks = FieldChecks()
    if not isinstance(approve, bool):
        checks.errors["approve"] = ["true or false"]
    note = checks.text("note", note, required=False)
    checks.done()
    if req.status != "pending":
        raise Conflict(f"this request was already decided ({req.status})")
    task = lock_row(session, ReadyTask, req.task_id)
    if approve:
        if task is None:
            raise Conflict("the task is no longer open; nothing to extend")
        _refuse_if_exists(ctx, task.id, "approved", "an extension was already granted for this task (once only)")
        _extend(ctx, task, req)
    req.status = "approved" if approve else "refused"
    req.decided_by_id, req.decided_at, req.decision_note = actor.user_id, ctx.now, note
    audit.append(session, actor, f"extension_{req.status}", ctx.now, case_id=case.id,
                 instance_id=task.instance_id if task else None,
                 detail={"request_id": req.id, "task_id": req.task_id, "workdays": req.workdays,
                         "due_at": clock.as_utc(task.due_at).isoformat() if task and task.due_at else None})
    _notify_decision(ctx, req, case, task, approve, note)
    return req


def _extend(ctx: EngineContext, task: ReadyTask, req: ExtensionRequest) -> None:
    before = clock.as_utc(task.due_at)
    after = ctx.calendar.add_workdays(before, req.workdays)
    task.original_due_at = task.original_due_at or before
    task.extended_workdays = (task.extended_workdays or 0) + req.workdays
    task.due_at = after
    task.due_basis = {**(task.due_basis or {}), "extension": {
        "request_id": req.id, "workdays": req.workdays, "from": before.isoformat(), "to": after.isoformat(),
        "calendar_version": ctx.calendar.version}}


def _notify_decision(ctx: EngineContext, req: ExtensionRequest, case: Case, task: ReadyTask | None,
                     approve: bool, note: str) -> None:
    name = f"「{task.name}」" if task is not None else ""
    if approve:
        due = clock.local(clock.as_utc(task.due_at)).strftime("%Y-%m-%d")
        title = f"【延期已批准】{case.case_no}{name}延期{req.workdays}个工作日，新时限{due}"
    else:
        title = f"【延期未批准】{case.case_no}{name}的延期申请未获批准，请按原时限办理"
    if task is not None and task.org_id is not None:
        notifications.notify_role(ctx, task.role, task.org_id, kind=f"extension_{req.status}", title=title,
                                  body=note, case_id=case.id)
    elif req.requested_by_id:
        notifications.notify_user(ctx, req.requested_by_id, kind=f"extension_{req.status}", title=title,
                                  body=note, case_id=case.id)
