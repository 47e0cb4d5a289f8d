"""Re-derive open deadlines after a calendar change: preview the differences, then apply them.

A ready task's deadline stores its rule, start and calendar version (`due_basis`), so it can be
computed again under a new calendar. `until <variable>` deadlines come from the model's own data
(e.g. `rectify_deadline`) and are listed as not re-derivable rather than guessed."""
from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import select

from app import clock
from app.calendar import WorkingCalendar, compute_due
from app.errors import CalendarNotCovered
from app.models import ReadyTask
from app.policy import Actor
from app.services import audit
from app.services.engine_context import EngineContext


@dataclass
class DeadlineChange:
    task_id: str
    case_id: int | None
    task: str
    org_id: int | None
    old_due: datetime | None
    new_due: datetime | None
    note: str = ""


def _recompute(task: ReadyTask, calendar: WorkingCalendar) -> tuple[datetime | None, str]:
    basis = task.due_basis or {}
    rule = basis.get("rule") or task.due_rule
    if not rule or rule.startswith("until ") or "start" not in basis:
        return task.due_at, "not re-derivable (model-set deadline)"
    start = datetime.fromisoformat(basis["start"])
    try:
        due = compute_due(rule, start, calendar).due_at
        if task.extended_workdays or task.paused_workdays:
            due = calendar.add_workdays(due, task.extended_workdays + task.paused_workdays)
    except CalendarNotCovered as exc:
        return None, f"provisional: {exc.message}"
    return due, ""


def preview(ctx: EngineContext, new_calendar: WorkingCalendar) -> list[DeadlineChange]:
    """Every open deadline whose date would move under `new_calendar` (nothing is written)."""
    changes = []
    for task in ctx.session.execute(select(ReadyTask).where(ReadyTask.due_rule.is_not(None))).scalars():
        new_due, note = _recompute(task, new_calendar)
        if new_due != task.due_at or note.startswith("provisional"):
            changes.append(DeadlineChange(task.id, task.case_id, task.spec_id, task.org_id, task.due_at, new_due, note))
    return changes


def apply(ctx: EngineContext, actor: Actor, new_calendar: WorkingCalendar, changes: list[DeadlineChange]) -> int:
    """Write the previewed changes, audit each, and notify the handlers whose dates moved."""
    moved = 0
    for change in changes:
        task = ctx.session.get(ReadyTask, change.task_id)
        if task is None or task.due_at != change.old_due:
            continue  # the task moved on (or changed) since the preview
        if change.new_due == change.old_due:
            continue  # still provisional (listed by the preview for information): nothing moves
        task.due_at = change.new_due
        task.due_basis = {**(task.due_basis or {}), "calendar_version": new_calendar.version,
                          "provisional": change.new_due is None}
        moved += 1
        audit.append(ctx.session, actor, "deadline_recomputed", ctx.now, case_id=task.case_id,
                     instance_id=task.instance_id,
                     detail={"task": task.spec_id, "old_due": change.old_due, "new_due": change.new_due}, public=True)
        _notify_handlers(ctx, task, change)
    return moved


def _notify_handlers(ctx: EngineContext, task: ReadyTask, change: DeadlineChange) -> None:
    try:
        from app.services.notifications import notify_role
    except ImportError:  # pragma: no cover - notifications arrive with the supervision work
        return
    notify_role(ctx, task.role, org_id=task.org_id, kind="deadline_moved", case_id=task.case_id,
                title="【期限调整】工作日历变更", body=f"{task.name}：{_shown(change.old_due)} → {_shown(change.new_due)}")


def _shown(due: datetime | None) -> str:
    return clock.local(due).strftime("%Y-%m-%d %H:%M") if due else "暂定（待工作日历载入）"
