"""The escalation ladder: one pass over the ready tasks whose next step is due.

Per task with a due date (a provisional one — no `due_at` — is skipped; so are tasks waiting on
the complainant, whose clock is stopped):

    level 1 notice_50          50 % of the time between created_at and due_at elapsed → the task's assignees
    level 2 notice_80          80 %                                                    → the task's assignees
    level 3 overdue            due_at passed                                           → the task's assignees
    level 4 reminder (催办)    due_at passed                                           → the task's assignees
    level 5 supervision_order  due_at + N working days (督办)                          → the case's supervisors

Each step is one `Escalation` row; the partial unique index (task_id, kind) makes every automatic
kind fire once even when two schedulers run the pass at the same moment (the loser's insert
fails inside a savepoint and the task is skipped). Each step is audited (`escalation:<kind>`,
not public) and so appears in the staff case timeline. When several steps are due at once
(overdue + reminder, or a catch-up after downtime) all are recorded but only the highest is
notified, so nobody gets a burst of stale notices."""
from __future__ import annotations

from datetime import datetime, timedelta

from sqlalchemy import and_, func, or_, select, update
from sqlalchemy.exc import IntegrityError

from app import clock
from app.errors import CalendarNotCovered, NotFound
from app.models import Case, Escalation, ReadyTask
from app.policy import Actor
from app.services import audit, notifications
from app.services.engine_context import EngineContext

LADDER = ("notice_50", "notice_80", "overdue", "reminder", "supervision_order")
BLOCKED = "supervision_blocked"  # the 督办 step waits for a calendar year that is not loaded
LEVEL = {kind: i + 1 for i, kind in enumerate(LADDER)}
FRACTIONS = {"notice_50": 0.5, "notice_80": 0.8}
SKIPPED_ROLES = ("complainant",)  # waiting on the complainant: the handling org's clock is stopped
ACTOR = Actor.system("escalation")
DEFAULT_AFTER_WORKDAYS = 3
DEFAULT_BATCH = 500


def step_moment(task: ReadyTask, kind: str, calendar, after_workdays: int) -> datetime | None:
    """When `kind` is due for `task` (None when the calendar cannot tell)."""
    created, due = clock.as_utc(task.created_at), clock.as_utc(task.due_at)
    if kind in FRACTIONS:
        return created + max(due - created, timedelta(0)) * FRACTIONS[kind]
    if kind in ("overdue", "reminder"):
        return due
    try:
        return calendar.add_workdays(due, after_workdays)
    except CalendarNotCovered:
        return None


def due_steps(task: ReadyTask, now: datetime, calendar, after_workdays: int) -> list[str]:
    """The automatic steps above the task's level whose moment has come, in ladder order."""
    out = []
    for kind in LADDER[task.escalation_level:]:
        moment = step_moment(task, kind, calendar, after_workdays)
        if moment is None or moment > now:
            break
        out.append(kind)
    return out


def _epoch(dialect: str, column):
    if dialect == "sqlite":
        return (func.julianday(column) - 2440587.5) * 86400.0
    return func.extract("epoch", column)


def _candidates(ctx: EngineContext, after_workdays: int, limit: int) -> list[ReadyTask]:
    """Tasks whose next step may be due, by SQL arithmetic on created_at/due_at. For the 督办 step
    N calendar days is a lower bound of N working days; the exact check is `due_steps`."""
    now = ctx.now
    dialect = ctx.session.get_bind().dialect.name
    created, due = _epoch(dialect, ReadyTask.created_at), _epoch(dialect, ReadyTask.due_at)
    now_epoch = now.timestamp()
    level = ReadyTask.escalation_level
    next_due = or_(
        and_(level == 0, created * 0.5 + due * 0.5 <= now_epoch),
        and_(level == 1, created * 0.2 + due * 0.8 <= now_epoch),
        and_(level.in_((2, 3)), ReadyTask.due_at <= now),
        and_(level == 4, ReadyTask.due_at <= now - timedelta(days=after_workdays)),
    )
    q = (select(ReadyTask)
         .where(ReadyTask.due_at.is_not(None), ReadyTask.role.not_in(SKIPPED_ROLES), next_due)
         .order_by(ReadyTask.due_at, ReadyTask.id).limit(limit))
    return list(ctx.session.execute(q).scalars())


def run_escalations(ctx: EngineContext, supervision_after_workdays: int = DEFAULT_AFTER_WORKDAYS,
                    limit: int = DEFAULT_BATCH, smtp_host: str = "") -> int:
    """One pass; returns how many steps fired. Runs in the caller's transaction (flushes, never commits)."""
    fired = 0
    for task in _candidates(ctx, supervision_after_workdays, limit):
        steps = due_steps(task, ctx.now, ctx.calendar, supervision_after_workdays)
        reached = task.escalation_level
        for i, kind in enumerate(steps):
            if not _record(ctx, task, kind):
                break  # another scheduler got there first; it carries on with this task
            fired += 1
            reached = LEVEL[kind]
            _audit(ctx, task, kind, superseded=i < len(steps) - 1)
            if i == len(steps) - 1:
                _notify(ctx, task, kind, supervision_after_workdays, smtp_host)
        if reached == LEVEL["reminder"]:
            _flag_blocked_supervision(ctx, task, supervision_after_workdays, smtp_host)
    return fired


def _flag_blocked_supervision(ctx: EngineContext, task: ReadyTask, after_workdays: int, smtp_host: str) -> None:
    """The 督办 step cannot be timed while the working-day calendar misses the year it falls in: say
    so once per task (an escalation row of kind `supervision_blocked`, the case on the supervisors'
    needs-attention list, a notice to them) instead of waiting silently. It fires by itself once
    the year is loaded."""
    try:
        ctx.calendar.add_workdays(clock.as_utc(task.due_at), after_workdays)
        return
    except CalendarNotCovered as exc:
        gap = exc.message
    session = ctx.session
    try:
        with session.begin_nested():
            session.add(Escalation(task_id=task.id, case_id=task.case_id, org_id=_supervising_org_id(ctx, task),
                                   kind=BLOCKED, at=ctx.now, by_id=None, by_label=ACTOR.label, note=gap[:2000]))
            session.flush()
    except IntegrityError:
        return  # flagged before (or by another scheduler just now)
    case = session.get(Case, task.case_id) if task.case_id else None
    ref = f"{case.case_no}「{task.name}」" if case else f"「{task.name}」"
    reason = f"{ref}已超期，但工作日历未覆盖督办时点所在年度，自动督办暂停：{gap}"
    if case is not None:
        case.needs_attention, case.attention_reason = True, reason[:2000]
    audit.append(session, ACTOR, f"escalation:{BLOCKED}", ctx.now, case_id=task.case_id, instance_id=task.instance_id,
                 detail={"task_id": task.id, "task": task.spec_id, "name": task.name, "reason": gap[:500]})
    notifications.notify_role(ctx, "supervisor", _supervising_org_id(ctx, task), kind=f"escalation:{BLOCKED}",
                              title=f"【督办暂停】{ref}的自动督办无法计算时点", body=reason + "。请在工作日历页面载入该年度安排，或人工督办。",
                              case_id=case.id if case else None, smtp_host=smtp_host)


def _record(ctx: EngineContext, task: ReadyTask, kind: str) -> bool:
    session = ctx.session
    try:
        with session.begin_nested():
            session.add(Escalation(task_id=task.id, case_id=task.case_id, org_id=_addressed_org(ctx, task, kind),
                                   kind=kind, at=ctx.now, by_id=None, by_label=ACTOR.label, note=""))
            session.flush()
    except IntegrityError:
        return False
    # a Core UPDATE: the task may have been completed meanwhile (0 rows is fine, not a stale-data error)
    session.execute(update(ReadyTask).where(ReadyTask.id == task.id, ReadyTask.escalation_level < LEVEL[kind])
                    .values(escalation_level=LEVEL[kind]))
    return True


def _addressed_org(ctx: EngineContext, task: ReadyTask, kind: str) -> int | None:
    if kind == "supervision_order":
        return _supervising_org_id(ctx, task)
    return task.org_id


def _supervising_org_id(ctx: EngineContext, task: ReadyTask) -> int | None:
    case = ctx.session.get(Case, task.case_id) if task.case_id else None
    if case is not None and case.supervising_org_id:
        return case.supervising_org_id
    code = ctx.directory.codes_by_id.get(task.org_id)
    try:
        return ctx.directory.id_of(ctx.directory.credit_office_for(code)) if code else None
    except NotFound:  # no credit office for the region: nobody to address
        return None


def _audit(ctx: EngineContext, task: ReadyTask, kind: str, superseded: bool) -> None:
    detail = {"task_id": task.id, "task": task.spec_id, "name": task.name, "level": LEVEL[kind],
              "org": ctx.directory.codes_by_id.get(task.org_id), "due_at": clock.as_utc(task.due_at).isoformat()}
    if superseded:
        detail["superseded"] = True
    audit.append(ctx.session, ACTOR, f"escalation:{kind}", ctx.now, case_id=task.case_id,
                 instance_id=task.instance_id, detail=detail, public=False)


TITLES = {
    "notice_50": "【到期提醒】{ref}已用去一半办理时限",
    "notice_80": "【到期提醒】{ref}即将到期",
    "overdue": "【超期】{ref}已超过办理时限",
    "reminder": "【催办】{ref}已超期，请尽快办理",
    "supervision_order": "【督办】{ref}超期未办结",
}


def _notify(ctx: EngineContext, task: ReadyTask, kind: str, after_workdays: int, smtp_host: str) -> None:
    case = ctx.session.get(Case, task.case_id) if task.case_id else None
    ref = f"{case.case_no}「{task.name}」" if case else f"「{task.name}」"
    due_text = clock.local(clock.as_utc(task.due_at)).strftime("%Y-%m-%d %H:%M")
    title = TITLES[kind].format(ref=ref)
    case_id = case.id if case else None
    if kind == "supervision_order":
        org_name = ctx.directory.by_id[task.org_id].name if task.org_id in ctx.directory.by_id else "承办单位"
        body = f"{org_name}承办的{ref}办理时限为{due_text}，超期已满{after_workdays}个工作日，请予督办。"
        notifications.notify_role(ctx, "supervisor", _supervising_org_id(ctx, task), kind=f"escalation:{kind}",
                                  title=title, body=body, case_id=case_id, smtp_host=smtp_host)
        body = f"{ref}超期已满{after_workdays}个工作日，已转信用办督办，请立即办理并报告。"
    else:
        body = f"办理时限：{due_text}。请在时限内办理。"
    if task.org_id is not None:
        notifications.notify_role(ctx, task.role, task.org_id, kind=f"escalation:{kind}", title=title, body=body,
                                  case_id=case_id, smtp_host=smtp_host)
