"""Cases that need a supervisor's attention (a timer or delivery kept failing): list and clear."""
from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import Session

from app.errors import Conflict, NotFound
from app.models import Case
from app.policy import Actor, can_supervise_case, in_region
from app.services import audit
from app.services.engine_context import EngineContext


def attention_cases(session: Session, actor: Actor) -> list[Case]:
    rows = session.execute(select(Case).where(Case.needs_attention.is_(True)).order_by(Case.received_at)).scalars()
    return [c for c in rows if in_region(actor.region_code, c.region_code)]


def clear_attention(ctx: EngineContext, actor: Actor, case: Case, note: str) -> None:
    """A supervisor of the region has dealt with the cause; the case leaves the attention list."""
    if not can_supervise_case(actor, case):
        raise NotFound("case not found")
    if not case.needs_attention:
        raise Conflict("the case is not on the attention list")
    reason = case.attention_reason
    case.needs_attention, case.attention_reason = False, None
    audit.append(ctx.session, actor, "attention_cleared", ctx.now, case_id=case.id, instance_id=case.instance_id,
                 detail={"reason": reason, "note": note})
