"""Maintain the org directory (the routing table of 属地管理、谁主管谁负责): admins add or change
an organisation; references are checked, superior chains may not loop, every change is audited
and every process's directory cache is invalidated in the same transaction."""
from __future__ import annotations

import re

from sqlalchemy import select

from app.errors import InvalidSubmission, NotAllowed
from app.models import Org
from app.models.org import ORG_KINDS, ORG_LEVELS
from app.policy import Actor
from app.services import audit
from app.services.engine_context import EngineContext
from app.services.reference_cache import DIRECTORY, bump

CODE = re.compile(r"^[A-Z0-9]+(-[A-Z0-9]+)*$")
REGION = re.compile(r"^\d{6}$")


def _by_code(ctx: EngineContext, code) -> Org | None:
    if not isinstance(code, str) or not code:
        return None
    return ctx.session.execute(select(Org).where(Org.code == code)).scalar_one_or_none()


def upsert_org(ctx: EngineContext, actor: Actor, code: str, data: dict) -> tuple[Org, bool]:
    """Create or update `code`. Returns (org, created)."""
    if actor.kind != "system" and actor.role != "admin":
        raise NotAllowed("only administrators maintain the org directory")
    errors: dict[str, list[str]] = {}
    if not CODE.match(code or "") or len(code) > 40:
        errors["code"] = ["upper-case letters, digits and hyphens, e.g. HY-HOUSING"]
    if not isinstance(data, dict):
        raise InvalidSubmission({"": ["body must be a JSON object"]})
    name = data.get("name")
    if not isinstance(name, str) or not 1 <= len(name.strip()) <= 200:
        errors["name"] = ["1 to 200 characters"]
    if data.get("kind") not in ORG_KINDS:
        errors["kind"] = [f"one of {', '.join(ORG_KINDS)}"]
    if data.get("level") not in ORG_LEVELS:
        errors["level"] = [f"one of {', '.join(ORG_LEVELS)}"]
    if not isinstance(data.get("region_code"), str) or not REGION.match(data["region_code"]):
        errors["region_code"] = ["six-digit GB/T 2260 code, e.g. 340321"]
    refs = {}
    for field in ("superior", "competent"):
        ref = data.get(field)
        if ref in (None, ""):
            refs[field] = None
        elif ref == code:
            errors[field] = ["an organisation cannot be its own " + field]
        elif (found := _by_code(ctx, ref)) is None:
            errors[field] = [f"unknown organisation {ref!r}"]
        else:
            refs[field] = found
    if errors:
        raise InvalidSubmission(errors)
    org = _by_code(ctx, code)
    created = org is None
    if created:
        org = Org(code=code, name=name.strip(), kind=data["kind"], level=data["level"], region_code=data["region_code"])
        ctx.session.add(org)
        ctx.session.flush()
    if refs["superior"] is not None and _reaches(ctx, refs["superior"], org.id):
        raise InvalidSubmission({"superior": ["this would make the superior chain a loop"]})
    before = {"name": org.name, "kind": org.kind, "level": org.level, "region_code": org.region_code}
    org.name, org.kind, org.level, org.region_code = name.strip(), data["kind"], data["level"], data["region_code"]
    org.superior_org_id = refs["superior"].id if refs["superior"] else None
    org.competent_org_id = refs["competent"].id if refs["competent"] else None
    org.is_credit_office = bool(data.get("is_credit_office", org.is_credit_office or False))
    org.accepts_complaints = bool(data.get("accepts_complaints", org.accepts_complaints or False))
    org.active = bool(data.get("active", True))
    bump(ctx.session, DIRECTORY)
    audit.append(ctx.session, actor, "org_created" if created else "org_changed", ctx.now,
                 detail={"code": code, "before": None if created else before, "after": {
                     "name": org.name, "kind": org.kind, "level": org.level, "region_code": org.region_code,
                     "superior": data.get("superior"), "competent": data.get("competent")}})
    return org, created


def _reaches(ctx: EngineContext, start: Org, target_id: int) -> bool:
    """Does following superiors from `start` reach `target_id` (a loop if target takes start as superior)?"""
    seen, current = set(), start
    while current is not None and current.id not in seen:
        if current.id == target_id:
            return True
        seen.add(current.id)
        current = ctx.session.get(Org, current.superior_org_id) if current.superior_org_id else None
    return False
