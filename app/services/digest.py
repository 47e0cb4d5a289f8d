"""The supervisors' daily digest: once per local date, each supervisor gets one notification with the
overdue and due-today counts of the running clocks in their region.

"Once" is a `JobRun(job='daily_digest', period=<local date>)` row inserted first: a second run
the same day (a restart, a second scheduler) hits the unique (job, period) and sends nothing.
A supervisor with nothing overdue or due today gets no notification (no noise)."""
from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError

from app import clock
from app.calendar import end_of_day
from app.models import Case, JobRun, ReadyTask, User
from app.policy import in_region
from app.services import notifications
from app.services.engine_context import EngineContext

JOB = "daily_digest"


def send_daily_digest(ctx: EngineContext) -> int:
    """Returns how many supervisors were notified (0 when today's digest already went out)."""
    today = clock.local(ctx.now).date()
    if not _claim_day(ctx, today.isoformat()):
        return 0
    day_end = end_of_day(today)
    clocks = ctx.session.execute(
        select(Case.region_code, ReadyTask.due_at).join(Case, Case.id == ReadyTask.case_id)
        .where(ReadyTask.due_at.is_not(None), ReadyTask.due_at <= day_end, ReadyTask.role != "complainant")
    ).all()
    supervisors = ctx.session.execute(
        select(User).where(User.role == "supervisor", User.active.is_(True)).order_by(User.id)).scalars().all()
    sent = 0
    for user in supervisors:
        region = user.org.region_code
        mine = [clock.as_utc(due) for code, due in clocks if in_region(region, code)]
        overdue = sum(1 for due in mine if due < ctx.now)
        due_today = len(mine) - overdue
        if not overdue and not due_today:
            continue
        notifications.notify_user(
            ctx, user.id, kind="daily_digest", title=f"【每日督办提醒】{today.isoformat()}",
            body=f"辖区内超期未办 {overdue} 件，今日到期 {due_today} 件。请在监督台查看详情。")
        sent += 1
    _finish(ctx, today.isoformat(), sent)
    return sent


def _claim_day(ctx: EngineContext, period: str) -> bool:
    try:
        with ctx.session.begin_nested():
            ctx.session.add(JobRun(job=JOB, period=period, ran_at=ctx.now, detail=""))
            ctx.session.flush()
    except IntegrityError:
        return False
    return True


def _finish(ctx: EngineContext, period: str, sent: int) -> None:
    row = ctx.session.execute(select(JobRun).where(JobRun.job == JOB, JobRun.period == period)).scalar_one()
    row.detail = f"notified {sent} supervisors"

