"""JSON API /api/v1 for deadline supervision: the supervisors' desk (clocks, league table, export),
extension requests, 催办/督办 by hand, reassignment, and the notification bell."""
from __future__ import annotations

from datetime import date

from flask import Blueprint, Response, current_app, jsonify, request

from app import clock
from app.db import db
from app.errors import InvalidSubmission, NotAllowed, NotFound
from app.models import ReadyTask
from app.policy import can_use_supervision_desk
from app.queries.cases import case_by_no
from app.queries.supervision import METRICS, clock_board, league_cases, league_table
from app.services import attention, extensions, notifications, reassignment, supervision_orders
from app.services.league_export import league_xlsx
from app.web.api_support import current_actor, endpoint, engine_context, json_body

supervision_bp = Blueprint("supervision_api", __name__, url_prefix="/api/v1")

XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
MAX_PERIOD_DAYS = 366


def _query(*names: str) -> list[dict]:
    return [{"name": n, "in": "query", "required": False, "schema": {"type": "string"}} for n in names]


PERIOD = _query("from", "to")


def _desk_actor():
    actor = current_actor()
    if not can_use_supervision_desk(actor):
        raise NotAllowed("the supervision desk is for supervisors")
    return actor


def _id(value) -> int:
    if not str(value).isdigit():
        raise NotFound("not found")
    return int(value)


def _period() -> tuple[date, date]:
    today = clock.local(clock.now()).date()
    errors: dict[str, list[str]] = {}

    def parse(name: str, default: date) -> date:
        raw = request.args.get(name)
        if not raw:
            return default
        try:
            return date.fromisoformat(raw)
        except ValueError:
            errors[name] = ["a date YYYY-MM-DD"]
            return default

    start, end = parse("from", today.replace(day=1)), parse("to", today)
    if not errors and start > end:
        errors["to"] = ["on or after 'from'"]
    if not errors and (end - start).days > MAX_PERIOD_DAYS:
        errors["to"] = [f"at most {MAX_PERIOD_DAYS} days after 'from'"]
    if errors:
        raise InvalidSubmission(errors)
    return start, end


# -- supervisors' desk -----------------------------------------------------------------------------

@endpoint(supervision_bp, "/supervision/clocks", "GET", "Live board: every running clock in the caller's region",
          tags=["supervision"], parameters=_query("org", "region", "stage", "channel"),
          responses={200: "OK, overdue first", 403: "not a supervisor"})
def clocks():
    actor = _desk_actor()
    args = request.args
    rows = clock_board(db.session, actor, clock.now(), org=args.get("org"), region=args.get("region"),
                       stage=args.get("stage"), channel=args.get("channel"))
    return jsonify({"clocks": rows, "count": len(rows)})


@endpoint(supervision_bp, "/supervision/league", "GET", "Per-org league table for a period", tags=["supervision"],
          parameters=PERIOD, responses={200: "OK", 403: "not a supervisor", 422: "bad period"})
def league():
    actor = _desk_actor()
    start, end = _period()
    return jsonify({"from": start.isoformat(), "to": end.isoformat(),
                    "rows": league_table(db.session, actor, clock.now(), start, end)})


@endpoint(supervision_bp, "/supervision/league.xlsx", "GET", "The league table as an XLSX workbook",
          tags=["supervision"], parameters=PERIOD, responses={200: "XLSX", 403: "not a supervisor", 422: "bad period"})
def league_export():
    actor = _desk_actor()
    start, end = _period()
    body = league_xlsx(league_table(db.session, actor, clock.now(), start, end), start, end)
    name = f"league_{start.isoformat()}_{end.isoformat()}.xlsx"
    return Response(body, mimetype=XLSX, headers={"Content-Disposition": f"attachment; filename={name}"})


@endpoint(supervision_bp, "/supervision/league/cases", "GET", "The cases behind one number of the league table",
          tags=["supervision"], parameters=_query("org", "metric", "from", "to"),
          responses={200: "OK", 403: "not a supervisor", 422: "bad metric or period"})
def league_drill_down():
    actor = _desk_actor()
    start, end = _period()
    org, metric = request.args.get("org", ""), request.args.get("metric", "")
    errors = {}
    if not org:
        errors["org"] = ["an organisation code"]
    if metric not in METRICS:
        errors["metric"] = [f"one of {', '.join(METRICS)}"]
    if errors:
        raise InvalidSubmission(errors)
    cases = league_cases(db.session, actor, clock.now(), start, end, org, metric)
    return jsonify({"org": org, "metric": metric, "from": start.isoformat(), "to": end.isoformat(), "cases": cases})


# -- extensions, orders, reassignment ----------------------------------------------------------------

def _extension_dict(row) -> dict:
    return {"id": row.id, "task_id": row.task_id, "workdays": row.workdays, "reason": row.reason,
            "status": row.status, "decision_note": row.decision_note}


@endpoint(supervision_bp, "/tasks/{task_id}/extension-requests", "POST", "Ask for more working days on a task (延期)",
          tags=["supervision"],
          request_schema={"type": "object", "required": ["workdays", "reason"],
                          "properties": {"workdays": {"type": "integer", "minimum": 1,
                                                       "description": "≤ LVYUE_EXTENSION_MAX_WORKDAYS (10)"},
                                         "reason": {"type": "string"}}},
          responses={201: "requested", 403: "not an assignee", 404: "unknown task", 409: "not extendable now",
                     422: "field errors"})
def request_extension(task_id):
    body = json_body()
    row = extensions.request_extension(engine_context(), current_actor(), task_id, body.get("workdays"),
                                       body.get("reason"),
                                       max_workdays=current_app.extensions["lvyue.settings"].extension_max_workdays)
    return jsonify(_extension_dict(row)), 201


@endpoint(supervision_bp, "/extension-requests/{request_id}/decision", "POST", "Approve or refuse an extension",
          tags=["supervision"],
          request_schema={"type": "object", "required": ["approve"],
                          "properties": {"approve": {"type": "boolean"}, "note": {"type": "string"}}},
          responses={200: "decided", 403: "not a supervisor of the region", 404: "unknown request",
                     409: "already decided", 422: "field errors"})
def decide_extension(request_id):
    body = json_body()
    ctx = engine_context()
    row = extensions.decide_extension(ctx, current_actor(), _id(request_id), body.get("approve"), body.get("note", ""))
    task = ctx.session.get(ReadyTask, row.task_id)
    return jsonify({**_extension_dict(row),
                    "due_at": clock.local(clock.as_utc(task.due_at)).isoformat() if task and task.due_at else None})


def _order_dict(row) -> dict:
    return {"id": row.id, "task_id": row.task_id, "kind": row.kind, "note": row.note,
            "reply_due_at": clock.local(clock.as_utc(row.reply_due_at)).isoformat() if row.reply_due_at else None,
            "replied_at": clock.local(clock.as_utc(row.replied_at)).isoformat() if row.replied_at else None,
            "reply": row.reply}


@endpoint(supervision_bp, "/tasks/{task_id}/supervision-orders", "POST", "Send 催办 or 督办 on a task by hand",
          tags=["supervision"],
          request_schema={"type": "object", "required": ["kind", "reply_workdays"],
                          "properties": {"kind": {"enum": ["reminder", "supervision_order"]},
                                         "reply_workdays": {"type": "integer", "minimum": 1, "maximum": 30},
                                         "note": {"type": "string"}}},
          responses={201: "sent", 403: "not a supervisor of the region", 404: "unknown task", 422: "field errors"})
def send_order(task_id):
    body = json_body()
    row = supervision_orders.send_order(engine_context(), current_actor(), task_id, body.get("kind"),
                                        body.get("reply_workdays"), body.get("note", ""))
    return jsonify(_order_dict(row)), 201


@endpoint(supervision_bp, "/supervision-orders/{order_id}/reply", "POST", "Reply to a 催办/督办", tags=["supervision"],
          request_schema={"type": "object", "required": ["reply"], "properties": {"reply": {"type": "string"}}},
          responses={200: "replied", 403: "not the org addressed", 404: "unknown order", 409: "already answered",
                     422: "field errors"})
def reply_order(order_id):
    row = supervision_orders.reply_to_order(engine_context(), current_actor(), _id(order_id), json_body().get("reply"))
    return jsonify(_order_dict(row))


@endpoint(supervision_bp, "/supervision/attention", "GET", "Cases whose timers or deliveries keep failing",
          tags=["supervision"], responses={200: "OK", 403: "not a supervisor"})
def attention_list():
    actor = _desk_actor()
    codes = engine_context().directory.codes_by_id
    return jsonify({"cases": [
        {"case_no": c.case_no, "stage": c.stage, "reason": c.attention_reason,
         "handling_org": codes.get(c.handling_org_id), "region_code": c.region_code}
        for c in attention.attention_cases(db.session, actor)]})


@endpoint(supervision_bp, "/cases/{case_no}/attention/clear", "POST", "Take a case off the attention list",
          tags=["supervision"], request_schema={"type": "object", "properties": {"note": {"type": "string"}}},
          responses={200: "cleared", 404: "unknown case or not the caller's region", 409: "not on the list"})
def clear_attention(case_no):
    actor = current_actor()
    case = case_by_no(db.session, actor, case_no)
    note = str((request.get_json(silent=True) or {}).get("note", ""))[:2000]
    attention.clear_attention(engine_context(), actor, case, note)
    return jsonify({"case_no": case.case_no, "needs_attention": case.needs_attention})


@endpoint(supervision_bp, "/cases/{case_no}/reassign", "POST", "Reassign a misrouted case to another handling org",
          tags=["supervision"],
          request_schema={"type": "object", "required": ["org", "reason"],
                          "properties": {"org": {"type": "string"}, "reason": {"type": "string"}}},
          responses={200: "reassigned", 403: "not a supervisor of the region", 404: "unknown case",
                     409: "closed or unchanged", 422: "field errors"})
def reassign(case_no):
    actor = current_actor()
    case = case_by_no(db.session, actor, case_no)
    body = json_body()
    ctx = engine_context()
    reassignment.reassign_case(ctx, actor, case, body.get("org"), body.get("reason"))
    return jsonify({"case_no": case.case_no, "handling_org": ctx.directory.codes_by_id.get(case.handling_org_id),
                    "stage": case.stage})


# -- notifications ---------------------------------------------------------------------------------

def _notification_dict(n) -> dict:
    return {"id": n.id, "kind": n.kind, "title": n.title, "body": n.body, "case_id": n.case_id,
            "created_at": clock.local(clock.as_utc(n.created_at)).isoformat(timespec="seconds"),
            "read": n.read_at is not None}


@endpoint(supervision_bp, "/notifications", "GET", "The caller's notifications (newest first) and unread count",
          tags=["notifications"], parameters=_query("unread"))
def list_notifications():
    actor = current_actor()
    unread_only = request.args.get("unread") in ("1", "true")
    rows = notifications.list_for(db.session, actor.user_id, unread_only=unread_only)
    return jsonify({"unread": notifications.unread_count(db.session, actor.user_id),
                    "notifications": [_notification_dict(n) for n in rows]})


@endpoint(supervision_bp, "/notifications/{notification_id}/read", "POST", "Mark a notification read",
          tags=["notifications"], responses={200: "OK", 404: "not the caller's"})
def read_notification(notification_id):
    actor = current_actor()
    row = notifications.mark_read(engine_context(), actor, _id(notification_id))
    return jsonify({**_notification_dict(row), "unread": notifications.unread_count(db.session, actor.user_id)})


@endpoint(supervision_bp, "/notifications/read-all", "POST", "Mark all of the caller's notifications read",
          tags=["notifications"], responses={200: "{marked, unread: 0}"})
def read_all_notifications():
    actor = current_actor()
    marked = notifications.mark_all_read(engine_context(), actor)
    return jsonify({"marked": marked, "unread": notifications.unread_count(db.session, actor.user_id)})
