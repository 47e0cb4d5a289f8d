"""Clock-stop (计时中止): while a case waits on the complainant (material requested, confirmation
pending) the handling org's clock is paused. Each pause is a ClockPause row, audited and shown in
the case timeline; the paused working days are credited to the running deadline by the model
(`confirm_rectification` moves `rectify_deadline` by them when the complainant rejects)."""
from __future__ import annotations

from sqlalchemy import select

from app.errors import CalendarNotCovered
from app.models import Case, ClockPause, ReadyTask
from app.policy import Actor
from app.services import audit
from app.services.engine_context import EngineContext

SYSTEM = Actor.system("clock")


def pause(ctx: EngineContext, case: Case, task: ReadyTask) -> None:
    ctx.session.add(ClockPause(case_id=case.id, task_id=task.id, reason=task.spec_id, started_at=ctx.now))
    audit.append(ctx.session, SYSTEM, "clock_paused", ctx.now, case_id=case.id, instance_id=task.instance_id,
                 detail={"task": task.spec_id, "name": task.name}, public=True)


def resume(ctx: EngineContext, case: Case, task: ReadyTask) -> None:
    open_pause = ctx.session.execute(
        select(ClockPause).where(ClockPause.task_id == task.id, ClockPause.ended_at.is_(None))
    ).scalar_one_or_none()
    if open_pause is None:
        return
    open_pause.ended_at = ctx.now
    try:
        open_pause.paused_workdays = ctx.calendar.workdays_between(open_pause.started_at, ctx.now)
    except CalendarNotCovered:
        open_pause.paused_workdays = None  # shown as unknown; the model's own arithmetic raises clearly
    audit.append(ctx.session, SYSTEM, "clock_resumed", ctx.now, case_id=case.id, instance_id=task.instance_id,
                 detail={"task": task.spec_id, "paused_workdays": open_pause.paused_workdays}, public=True)
