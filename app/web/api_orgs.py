"""The org directory: public lookup (the complaint form's respondent picker) and admin upkeep."""
from __future__ import annotations

from flask import Blueprint, jsonify, request

from app.db import db
from app.services import org_admin
from app.services.reference_cache import reference_data
from app.web.api_support import current_actor, endpoint, engine_context, json_body

orgs_bp = Blueprint("orgs", __name__, url_prefix="/api/v1")


def _org_dict(entry) -> dict:
    return {"code": entry.code, "name": entry.name, "kind": entry.kind, "level": entry.level,
            "region_code": entry.region_code, "superior": entry.superior_code, "competent": entry.competent_code,
            "is_credit_office": entry.is_credit_office}


@endpoint(orgs_bp, "/orgs", "GET", "The org directory (search by name or code; e.g. the respondent picker)",
          auth="public", tags=["orgs"],
          parameters=[{"name": n, "in": "query", "required": False, "schema": {"type": "string"}}
                      for n in ("q", "kind", "region")])
def list_orgs():
    directory, _calendar = reference_data(db.session)
    q = (request.args.get("q") or "").strip()[:50]
    kind, region = request.args.get("kind"), request.args.get("region")
    rows = [e for e in directory.by_code.values()
            if (not q or q in e.name or q.upper() in e.code) and (not kind or e.kind == kind)
            and (not region or e.region_code == region)]
    return jsonify({"orgs": [_org_dict(e) for e in sorted(rows, key=lambda e: e.code)][:200]})


@endpoint(orgs_bp, "/orgs/{code}", "PUT", "Create or change an organisation (administrators)", tags=["orgs"],
          request_schema={"type": "object", "required": ["name", "kind", "level", "region_code"], "properties": {
              "name": {"type": "string"}, "kind": {"type": "string"}, "level": {"type": "string"},
              "region_code": {"type": "string"}, "superior": {"type": "string"}, "competent": {"type": "string"},
              "is_credit_office": {"type": "boolean"}, "accepts_complaints": {"type": "boolean"},
              "active": {"type": "boolean"}}},
          responses={200: "changed", 201: "created", 403: "not an administrator", 422: "field errors"})
def put_org(code):
    org, created = org_admin.upsert_org(engine_context(), current_actor(), code, json_body())
    return jsonify({"code": org.code, "created": created}), (201 if created else 200)
