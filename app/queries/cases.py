"""Read side for cases: staff view and the complainant's public view (projections only)."""
from __future__ import annotations

from collections.abc import Mapping

from sqlalchemy import select
from sqlalchemy.orm import Session

from app import clock
from app.errors import NotFound
from app.identifiers import mask_phone
from app.models import AuditEvent, Case, Org, ProcessInstance, ReadyTask, TaskLog, Timer
from app.policy import Actor, can_view_case
from app.services.reference_cache import reference_data


def _iso(dt):
    return clock.local(dt).isoformat(timespec="seconds") if dt else None


def task_dict(t: ReadyTask, codes: Mapping[int, str]) -> dict:
    return {
        "id": t.id, "case_id": t.case_id, "instance_id": t.instance_id, "task": t.spec_id, "name": t.name,
        "role": t.role, "org": codes.get(t.org_id) if t.org_id else None, "stage": t.stage,
        "form": t.form, "instructions": t.instructions, "created_at": _iso(t.created_at), "due_at": _iso(t.due_at),
        "due_rule": t.due_rule, "due_basis": t.due_basis,
    }


def org_codes(session: Session) -> Mapping[int, str]:
    """id -> code from the cached org directory (no query when the directory is unchanged)."""
    directory, _calendar = reference_data(session)
    return directory.codes_by_id


def case_by_no(session: Session, actor: Actor, case_no: str) -> Case:
    case = session.execute(select(Case).where(Case.case_no == case_no)).scalar_one_or_none()
    if case is None or not can_view_case(actor, case):
        raise NotFound("case not found")
    return case


def case_detail(session: Session, case: Case) -> dict:
    codes = org_codes(session)
    instance = session.get(ProcessInstance, case.instance_id) if case.instance_id else None
    tasks = session.execute(select(ReadyTask).where(ReadyTask.case_id == case.id).order_by(ReadyTask.due_at)).scalars()
    timers = session.execute(select(Timer).where(Timer.case_id == case.id).order_by(Timer.due_at)).scalars()
    done = session.execute(select(TaskLog).where(TaskLog.case_id == case.id).order_by(TaskLog.id)).scalars()
    history = session.execute(select(AuditEvent).where(AuditEvent.case_id == case.id).order_by(AuditEvent.id)).scalars()
    return {
        "case_no": case.case_no, "status": case.status, "stage": case.stage, "outcome": case.outcome,
        "channel": case.channel, "received_at": _iso(case.received_at), "closed_at": _iso(case.closed_at),
        "needs_attention": case.needs_attention, "attention_reason": case.attention_reason,
        "complainant": {"kind": case.complainant_kind, "name": case.complainant_name, "uscc": case.complainant_uscc,
                        "contact_name": case.contact_name, "contact_phone": mask_phone(case.contact_phone)},
        "respondent": {"org": case.respondent_org.code, "name": case.respondent_org.name},
        "accepting_org": codes.get(case.accepting_org_id), "handling_org": codes.get(case.handling_org_id),
        "supervising_org": codes.get(case.supervising_org_id), "region_code": case.region_code,
        "contract": {"title": case.contract_title, "contract_no": case.contract_no, "scope_area": case.scope_area,
                     "amount_total": str(case.amount_total) if case.amount_total is not None else None,
                     "amount_claimed": str(case.amount_claimed) if case.amount_claimed is not None else None},
        "facts": case.facts, "demands": case.demands,
        "data": instance.data if instance else {},
        "definition_id": instance.definition_id if instance else None,
        "ready_tasks": [task_dict(t, codes) for t in tasks],
        "timers": [{"task": t.spec_id, "attached_to": t.attached_to, "kind": t.kind, "due_at": _iso(t.due_at),
                    "fired_at": _iso(t.fired_at)} for t in timers],
        "finished_tasks": [{"task": t.spec_id, "name": t.name, "state": t.state, "role": t.role, "org": codes.get(t.org_id),
                             "by": t.completed_by_label, "completed_at": _iso(t.completed_at), "data": t.data}
                            for t in done],
        "history": [{"seq": e.seq, "at": _iso(e.at), "actor": e.actor_label, "action": e.action, "detail": e.detail}
                    for e in history],
    }


PUBLIC_DATA_KEYS = ("intake_decision", "not_accepted_reason", "supplement_request", "verification_result",
                    "verification_findings", "rectify_deadline", "settlement_terms", "routing_basis", "outcome",
                    # what the complainant is told and asked to confirm
                    "explanation_method", "explanation_content", "explained_on", "rectification_report")


def public_view(session: Session, case: Case) -> dict:
    codes = org_codes(session)
    instance = session.get(ProcessInstance, case.instance_id) if case.instance_id else None
    data = instance.data if instance else {}
    tasks = session.execute(select(ReadyTask).where(ReadyTask.case_id == case.id).order_by(ReadyTask.due_at)).scalars().all()
    events = session.execute(
        select(AuditEvent).where(AuditEvent.case_id == case.id, AuditEvent.public.is_(True)).order_by(AuditEvent.id)
    ).scalars()
    handling = session.get(Org, case.handling_org_id) if case.handling_org_id else None
    return {
        "case_no": case.case_no, "status": case.status, "stage": case.stage, "outcome": case.outcome,
        "received_at": _iso(case.received_at), "closed_at": _iso(case.closed_at),
        "handling_org": handling.name if handling else None,
        "due_at": _iso(min((t.due_at for t in tasks if t.due_at), default=None)),
        "result": {k: data[k] for k in PUBLIC_DATA_KEYS if k in data},
        "timeline": [{"at": _iso(e.at), "action": e.action,
                      "task": e.detail.get("name") if isinstance(e.detail, dict) else None} for e in events],
        "my_tasks": [task_dict(t, codes) for t in tasks if t.role == "complainant"],
        "can_withdraw": case.status == "open",
    }


def case_summary(case: Case, codes: Mapping[int, str]) -> dict:
    return {"case_no": case.case_no, "status": case.status, "stage": case.stage, "outcome": case.outcome,
            "channel": case.channel, "received_at": _iso(case.received_at), "complainant": case.complainant_name,
            "respondent": codes.get(case.respondent_org_id), "handling_org": codes.get(case.handling_org_id),
            "region_code": case.region_code, "contract_no": case.contract_no,
            "needs_attention": case.needs_attention}


def search_cases(session: Session, actor: Actor, *, status: str | None = None, stage: str | None = None,
                 q: str | None = None, limit: int = 50, before_id: int | None = None) -> list[Case]:
    """The cases the actor may see, newest first, keyset-paginated by id. The SQL narrows by the
    actor's scope; `policy.can_view_case` has the last word on every row."""
    query = select(Case)
    if actor.role == "intake_officer":
        query = query.where(Case.accepting_org_id == actor.org_id)
    elif actor.role == "handler":
        query = query.where(Case.handling_org_id == actor.org_id)
    elif actor.role == "supervisor" and actor.region_code:
        prefix = actor.region_code[:4] if actor.region_code.endswith("00") else actor.region_code
        query = query.where(Case.region_code.startswith(prefix))
    elif actor.role != "admin":
        return []
    if status:
        query = query.where(Case.status == status)
    if stage:
        query = query.where(Case.stage == stage)
    if q:
        like = f"%{q.strip()}%"
        query = query.where(Case.case_no.ilike(like) | Case.complainant_name.ilike(like) | Case.contract_no.ilike(like))
    if before_id:
        query = query.where(Case.id < before_id)
    rows = session.execute(query.order_by(Case.id.desc()).limit(limit)).scalars()
    return [c for c in rows if can_view_case(actor, c)]
