"""催办/督办 by hand: a supervisor addresses an open task's org with a reply deadline in working
days; staff of that org reply once. Both are audited and notified."""
from __future__ import annotations

from app import clock
from app.db import lock_row
from app.errors import Conflict, NotAllowed, NotFound
from app.models import Escalation
from app.policy import Actor, can_reply_to_order, can_supervise_case
from app.services import audit, notifications
from app.services.engine_context import EngineContext
from app.services.supervision_access import FieldChecks, visible_case, visible_task

KINDS = {"reminder": "manual_reminder", "supervision_order": "manual_supervision"}
LABELS = {"manual_reminder": "催办", "manual_supervision": "督办"}
MAX_REPLY_WORKDAYS = 30


def send_order(ctx: EngineContext, actor: Actor, task_id: str, kind, reply_workdays, note="") -> Escalation:
    """`kind` is 'reminder' (催办) or 'supervision_order' (督办)."""
    task, case = visible_task(ctx, actor, task_id)
    if case is None or not can_supervise_case(actor, case):
        raise NotAllowed("only a supervisor of the case's region sends 催办/督办")
    checks = FieldChecks()
    kind = checks.choice("kind", kind, tuple(KINDS))
    reply_workdays = checks.integer("reply_workdays", reply_workdays, 1, MAX_REPLY_WORKDAYS)
    note = checks.text("note", note, required=False)
    checks.done()
    if task.org_id is None:
        raise Conflict("this task waits on the complainant, not on an organisation")
    stored = KINDS[kind]
    order = Escalation(task_id=task.id, case_id=case.id, org_id=task.org_id, kind=stored, at=ctx.now,
                       by_id=actor.user_id, by_label=actor.label, note=note,
                       reply_due_at=ctx.calendar.add_workdays(ctx.now, reply_workdays))
    ctx.session.add(order)
    ctx.session.flush()
    audit.append(ctx.session, actor, f"escalation:{stored}", ctx.now, case_id=case.id, instance_id=task.instance_id,
                 detail={"order_id": order.id, "task_id": task.id, "task": task.spec_id, "name": task.name,
                         "org": ctx.directory.codes_by_id.get(task.org_id), "reply_workdays": reply_workdays,
                         "reply_due_at": order.reply_due_at.isoformat()})
    label = LABELS[stored]
    due = clock.local(order.reply_due_at).strftime("%Y-%m-%d")
    notifications.notify_role(ctx, task.role, task.org_id, kind=f"escalation:{stored}",
                              title=f"【{label}】{case.case_no}「{task.name}」请于{due}前办理并回复",
                              body=note, case_id=case.id)
    return order


def reply_to_order(ctx: EngineContext, actor: Actor, order_id: int, reply) -> Escalation:
    order = lock_row(ctx.session, Escalation, order_id)
    if order is None or order.kind not in LABELS:
        raise NotFound("order not found")
    case = visible_case(ctx, actor, order.case_id)
    if not can_reply_to_order(actor, order):
        raise NotAllowed("only the organisation addressed replies to this order")
    checks = FieldChecks()
    reply = checks.text("reply", reply)
    checks.done()
    if order.replied_at is not None:
        raise Conflict("this order was already answered")
    order.reply, order.replied_at = reply, ctx.now
    late = order.reply_due_at is not None and ctx.now > clock.as_utc(order.reply_due_at)
    audit.append(ctx.session, actor, f"escalation_reply:{order.kind}", ctx.now, case_id=case.id,
                 detail={"order_id": order.id, "task_id": order.task_id, "late": late})
    if order.by_id:
        notifications.notify_user(ctx, order.by_id, kind="escalation_reply",
                                  title=f"【{LABELS[order.kind]}回复】{case.case_no}：{actor.label}已回复",
                                  body=reply, case_id=case.id)
    return order
