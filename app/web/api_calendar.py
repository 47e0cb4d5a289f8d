"""JSON API for the working-day calendar: status (the December banner), a year's overrides, and
loading a year with a preview of the deadlines it moves (admins and supervisors)."""
from __future__ import annotations

from flask import Blueprint, jsonify

from app import clock
from app.db import db
from app.errors import InvalidSubmission, NotAllowed
from app.queries.calendar_view import calendar_status, year_overrides
from app.services.calendar_admin import import_year
from app.web.api_support import current_actor, endpoint, engine_context, json_body

calendar_bp = Blueprint("calendar", __name__, url_prefix="/api/v1")

IMPORT_BODY = {"type": "object", "required": ["text", "source_doc"], "properties": {
    "text": {"type": "string", "description": "one 'YYYY-MM-DD holiday|workday [note]' per line (ranges a..b allowed)"},
    "source_doc": {"type": "string", "description": "document number of the State Council notice"}}}


def _require_calendar_staff() -> None:
    actor = current_actor()
    if actor.role not in ("admin", "supervisor"):
        raise NotAllowed("only admins and supervisors maintain the calendar")


def _year(value: str) -> int:
    if not value.isdigit() or not 2000 <= int(value) <= 2100:
        raise InvalidSubmission({"year": ["a year between 2000 and 2100"]})
    return int(value)


def _change_dicts(changes) -> list[dict]:
    def local(dt):
        return clock.local(dt).isoformat(timespec="seconds") if dt else None

    return [{"task_id": c.task_id, "case_id": c.case_id, "task": c.task, "old_due": local(c.old_due),
             "new_due": local(c.new_due), "note": c.note} for c in changes]


@endpoint(calendar_bp, "/calendar", "GET", "Covered years, loaded years and the coverage warning (banner)",
          tags=["calendar"], responses={200: "OK", 403: "not an admin or supervisor"})
def status():
    _require_calendar_staff()
    return jsonify(calendar_status(db.session, clock.local(clock.now()).date()))


@endpoint(calendar_bp, "/calendar/{year}", "GET", "The admin overrides of one year", tags=["calendar"],
          responses={200: "OK", 403: "not an admin or supervisor", 422: "bad year"})
def overrides(year):
    _require_calendar_staff()
    return jsonify({"year": _year(year), "overrides": year_overrides(db.session, _year(year))})


@endpoint(calendar_bp, "/calendar/{year}/preview", "POST", "The open deadlines that loading this schedule would move",
          tags=["calendar"], request_schema=IMPORT_BODY,
          responses={200: "{changes}; nothing is stored", 403: "not allowed", 422: "bad schedule (line named)"})
def preview(year):
    _require_calendar_staff()
    body = json_body()
    result = import_year(engine_context(), current_actor(), _year(year), body.get("text") or "",
                         body.get("source_doc") or "")
    db.session.rollback()  # a preview: the load ran in full (same code path) and is undone
    return jsonify({"year": result.year, "holidays": result.holidays, "workdays": result.workdays,
                    "changes": _change_dicts(result.changes)})


@endpoint(calendar_bp, "/calendar/{year}", "PUT", "Load a year's schedule; open deadlines are recomputed",
          tags=["calendar"], request_schema=IMPORT_BODY,
          responses={200: "loaded; {changes} applied and the handlers notified", 403: "not allowed",
                     422: "bad schedule (line named)"})
def load_year(year):
    _require_calendar_staff()
    body = json_body()
    result = import_year(engine_context(), current_actor(), _year(year), body.get("text") or "",
                         body.get("source_doc") or "")
    return jsonify({"year": result.year, "holidays": result.holidays, "workdays": result.workdays,
                    "changes": _change_dicts(result.changes)})
