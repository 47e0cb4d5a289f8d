"""Reassign a misrouted case (改派): a supervisor of the case's region moves it to another handling org.

In one transaction, under the instance lock: the process data's `handling_org` on every ready
and waiting task (so later steps route to the new org), the open handler tasks of the old org,
the case projection, the audit entry (via `workflow.persist`) and notifications to both orgs."""
from __future__ import annotations

from app.errors import Conflict, NotAllowed
from app.models import Case
from app.policy import Actor, can_supervise_case, in_region
from app.services import notifications, workflow
from app.services.engine_context import EngineContext
from app.services.supervision_access import FieldChecks


def reassign_case(ctx: EngineContext, actor: Actor, case: Case, org_code, reason) -> Case:
    """`case` is one the caller can see (the route looked it up through policy)."""
    if not can_supervise_case(actor, case):
        raise NotAllowed("only a supervisor of the case's region reassigns it")
    checks = FieldChecks()
    org_code = checks.text("org", org_code, max_length=40)
    reason = checks.text("reason", reason)
    target = ctx.directory.by_code.get(org_code) if org_code else None
    if org_code and (target is None or not in_region(actor.region_code, target.region_code)):
        checks.errors.setdefault("org", []).append("an organisation in your region")
    checks.done()
    if case.status != "open" or case.instance_id is None:
        raise Conflict("this case is closed; it can no longer be reassigned")
    old_id = case.handling_org_id
    if old_id == target.id:
        raise Conflict("the case is already handled by this organisation")
    loaded = workflow.load_locked(ctx, case.instance_id)
    loaded.engine.update_data({"handling_org": target.code})
    moved = []
    for task in loaded.ready_rows.values():
        if task.role == "handler" and task.org_id == old_id:
            task.org_id = target.id
            task.claimed_by_id = None
            moved.append(task.id)
    old_code = ctx.directory.codes_by_id.get(old_id)
    workflow.persist(ctx, loaded, actor, "case_reassigned",
                     {"from": old_code, "to": target.code, "reason": reason, "tasks": moved})
    case.handling_org_id = target.id
    title = f"【改派】{case.case_no}已改由{target.name}承办"
    notifications.notify_role(ctx, "handler", target.id, kind="case_reassigned",
                              title=f"【改派】{case.case_no}已改派您单位承办，请及时办理", body=reason, case_id=case.id)
    if old_id is not None:
        notifications.notify_role(ctx, "handler", old_id, kind="case_reassigned", title=title, body=reason,
                                  case_id=case.id)
    return case
