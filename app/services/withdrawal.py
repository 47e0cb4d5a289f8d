"""The complainant withdraws the complaint: the `complaint_withdrawn` message cancels whatever runs."""
from __future__ import annotations

from app.errors import Conflict, NotFound
from app.models import Case
from app.policy import Actor, can_view_case
from app.services import workflow
from app.services.engine_context import EngineContext

WITHDRAW_MESSAGE = "complaint_withdrawn"


def withdraw(ctx: EngineContext, actor: Actor, case: Case, reason: str) -> workflow.Loaded:
    if not can_view_case(actor, case) or case.instance_id is None:
        raise NotFound("case not found")
    if actor.kind != "complainant" and actor.role not in ("intake_officer", "admin"):
        raise NotFound("case not found")
    if case.status != "open":
        raise Conflict("the case is already closed")
    loaded = workflow.load_locked(ctx, case.instance_id)
    if WITHDRAW_MESSAGE not in loaded.engine.waiting_messages():
        raise Conflict("the complaint can no longer be withdrawn at this stage")
    loaded.engine.send_message(WITHDRAW_MESSAGE, {"reason": reason, "at": ctx.now.isoformat(), "by": actor.label})
    workflow.persist(ctx, loaded, actor, "complaint_withdrawn", {"reason": reason}, public=True)
    return loaded
