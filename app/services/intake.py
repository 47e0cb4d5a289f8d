"""Register a complaint: validate, dedupe, number it, start its lifecycle instance."""
from __future__ import annotations

import hashlib
import hmac
import secrets
from dataclasses import dataclass
from datetime import date
from decimal import Decimal

from sqlalchemy import select

from app import clock
from app.errors import Conflict, InvalidSubmission, NotAllowed, NotFound
from app.identifiers import normalize_code
from app.models import Case, CaseSequence
from app.policy import Actor, can_file_complaint_for_channel
from app.services import audit, definitions, workflow
from app.services.engine_context import EngineContext
from app.task_forms import validate

LIFECYCLE_KEY = "breach_complaint"
INTAKE_FORM = "complaint.schema.json"
CASE_PREFIX = "BB"
PUBLIC_ACCEPTING_ORG = "BB-CREDIT"  # 信用蚌埠 complaint column
QUERY_ALPHABET = "ABCDEFGHJKMNPQRSTUVWXYZ23456789"


@dataclass
class Registered:
    case: Case
    query_code: str | None  # None when an idempotent retry returned the existing case
    replayed: bool


def hash_query_code(code: str) -> str:
    return hashlib.sha256(code.strip().upper().encode()).hexdigest()


def query_code_matches(case: Case, code: str | None) -> bool:
    return bool(code) and hmac.compare_digest(case.query_code_hash, hash_query_code(code))


def intake_schema(ctx: EngineContext) -> dict:
    definition = definitions.latest(ctx.session, LIFECYCLE_KEY)
    if definition is None or definition.form(INTAKE_FORM) is None:
        raise NotFound("the complaint process is not deployed")
    return definition.form(INTAKE_FORM)


def _next_case_no(ctx: EngineContext) -> str:
    year = clock.local(ctx.now).year
    seq = ctx.session.execute(select(CaseSequence).where(CaseSequence.year == year).with_for_update()).scalar_one_or_none()
    if seq is None:
        seq = CaseSequence(year=year, last_no=0)
        ctx.session.add(seq)
    seq.last_no += 1
    return f"{CASE_PREFIX}-{year}-{seq.last_no:06d}"


def _existing(ctx: EngineContext, channel: str, external_id: str | None, idempotency_key: str | None) -> Case | None:
    if idempotency_key:
        case = ctx.session.execute(select(Case).where(Case.idempotency_key == idempotency_key)).scalar_one_or_none()
        if case is not None:
            return case
    if external_id:
        return ctx.session.execute(
            select(Case).where(Case.channel == channel, Case.external_id == external_id)
        ).scalar_one_or_none()
    return None


def _money(value) -> Decimal | None:
    return Decimal(value) if value not in (None, "") else None


def register_complaint(
    ctx: EngineContext,
    actor: Actor,
    data: dict,
    *,
    external_id: str | None = None,
    idempotency_key: str | None = None,
    locale: str = "zh",
) -> Registered:
    if not can_file_complaint_for_channel(actor):
        raise NotAllowed("only accepting units may file complaints through the API")
    if not isinstance(data, dict):
        raise InvalidSubmission({"": ["必须是 JSON 对象" if locale == "zh" else "must be a JSON object"]})
    data = dict(data)
    comp = data.get("complainant")
    if isinstance(comp, dict) and isinstance(comp.get("uscc"), str):
        data["complainant"] = {**comp, "uscc": normalize_code(comp["uscc"])}
    validate(intake_schema(ctx), data, locale=locale, org_codes=set(ctx.directory.by_code))
    channel = data["channel"]
    previous = _existing(ctx, channel, external_id, idempotency_key)
    if previous is not None:
        return Registered(previous, None, True)

    respondent = ctx.directory.get(data["respondent"]["org_code"])
    complainant = data["complainant"]
    contract = data.get("contract") or {}
    dedupe_key = "|".join([complainant.get("uscc") or complainant["name"], respondent.code, contract.get("contract_no") or ""])
    # numbering locks the year's sequence row first, so concurrent registrations queue here and the
    # duplicate check below sees every complaint committed before this one
    case_no = _next_case_no(ctx)
    duplicate = ctx.session.execute(
        select(Case).where(Case.dedupe_key == dedupe_key, Case.status == "open")
    ).scalars().first()
    if duplicate is not None:
        raise Conflict("a complaint about this contract from this complainant is already open",
                       existing_case_no=duplicate.case_no)

    if actor.is_staff and actor.org_id:
        accepting = ctx.directory.by_id[actor.org_id]
    else:
        accepting = ctx.directory.get(PUBLIC_ACCEPTING_ORG)
    definition = definitions.latest(ctx.session, LIFECYCLE_KEY)
    query_code = "".join(secrets.choice(QUERY_ALPHABET) for _ in range(10))
    case = Case(
        case_no=case_no, query_code_hash=hash_query_code(query_code), status="open", stage="intake",
        channel=channel, external_id=external_id, idempotency_key=idempotency_key, dedupe_key=dedupe_key,
        complainant_kind=complainant["kind"], complainant_name=complainant["name"],
        complainant_uscc=complainant.get("uscc"), contact_name=complainant.get("contact_name", ""),
        contact_phone=complainant.get("contact_phone", ""),
        respondent_org_id=respondent.id, accepting_org_id=accepting.id, region_code=respondent.region_code,
        contract_title=contract.get("title", ""), contract_no=contract.get("contract_no"),
        contract_signed_on=_date(contract.get("signed_on")), scope_area=contract.get("scope_area", "other"),
        amount_total=_money(contract.get("amount_total")), amount_claimed=_money(contract.get("amount_claimed")),
        facts=data["facts"], demands=data.get("demands", ""), submission=data, received_at=ctx.now,
        created_by_id=actor.user_id,
    )
    ctx.session.add(case)
    ctx.session.flush()
    initial = {
        "case_no": case.case_no,
        "received_at": clock.local(ctx.now).isoformat(timespec="seconds"),
        "channel": channel,
        "accepting_org": accepting.code,
        "respondent_org": respondent.code,
        "respondent": {"name": respondent.name, "kind": respondent.kind, "level": respondent.level,
                       "region_code": respondent.region_code},
        "complainant_kind": complainant["kind"],
        "complainant_name": complainant["name"],
        "amount_claimed": contract.get("amount_claimed"),
        "scope_area": contract.get("scope_area", "other"),
        "contract_title": contract.get("title", ""),
    }
    workflow.start(ctx, definition, initial, actor, case=case)
    audit.append(ctx.session, actor, "complaint_registered", ctx.now, case_id=case.id, instance_id=case.instance_id,
                 detail={"case_no": case.case_no, "channel": channel, "accepting_org": accepting.code}, public=True)
    return Registered(case, query_code, False)


def _date(value) -> date | None:
    return date.fromisoformat(value) if value else None
