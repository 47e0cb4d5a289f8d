"""The case diagram: its data as JSON (for the bpmn-js panel on the task and case pages) and a
full-screen page that shows only the diagram. The panel itself is the include
`diagram/_panel.html`; its script and styles are the bundle built from assets/ into static/dist/."""
from __future__ import annotations

from flask import Blueprint, current_app, jsonify, render_template, url_for
from werkzeug.routing import BuildError

from app.db import db
from app.errors import NotFound
from app.queries.cases import case_by_no
from app.queries.diagram import case_diagram
from app.web.pages import current_actor, page
from app.web.template_helpers import role_label

diagram_bp = Blueprint("diagram", __name__)

CASE_PAGE_RULE = "/cases/<case_no>"
LANE_ROLES = ("intake_officer", "handler", "supervisor", "process_owner", "admin", "complainant")


@diagram_bp.app_context_processor
def _diagram_template_globals():
    return {"diagram_roles": lambda: {role: role_label(role) for role in LANE_ROLES}}


@page(diagram_bp, "/cases/<case_no>/diagram.json", auth="staff")
def case_diagram_json(case_no: str):
    try:
        case = case_by_no(db.session, current_actor(), case_no)
        data = case_diagram(db.session, case)
    except NotFound:
        return jsonify({"error": "not_found"}), 404
    resp = jsonify(data)
    resp.headers["Cache-Control"] = "private, no-store"
    return resp


@page(diagram_bp, "/cases/<case_no>/diagram", auth="staff")
def case_diagram_page(case_no: str):
    case = case_by_no(db.session, current_actor(), case_no)
    return render_template("diagram/page.html", case=case, case_url=_case_page_url(case.case_no))


def _case_page_url(case_no: str) -> str | None:
    """The case page, when the cases area serves one (its endpoint name is not ours to assume)."""
    for rule in current_app.url_map.iter_rules():
        if rule.rule == CASE_PAGE_RULE:
            try:
                return url_for(rule.endpoint, case_no=case_no)
            except BuildError:
                return None
    return None
