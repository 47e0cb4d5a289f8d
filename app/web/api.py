"""JSON API /api/v1: channel intake, cases, tasks, the complainant's view, process starts."""
from __future__ import annotations

from flask import Blueprint, g, jsonify, request
from sqlalchemy import select

from app.db import db
from app.errors import InvalidSubmission, NotAllowed, NotFound
from app.models import Case, ProcessInstance, ReadyTask
from app.policy import Actor, can_act_on_task, can_start_process, can_view_case
from app.queries.cases import (case_by_no, case_detail, case_summary, org_codes, public_view, search_cases,
                               task_dict)
from app.queries.tasks import tasks_for
from app.services import definitions, intake, tasks as task_service, withdrawal, workflow
from app.web.api_support import current_actor, endpoint, engine_context, json_body, locale, openapi_document

api_bp = Blueprint("api", __name__, url_prefix="/api/v1")

DATA_BODY = {"type": "object", "required": ["data"], "properties": {"data": {"type": "object"}}}
QUERY_CODE = [{"name": "query_code", "in": "query", "required": True, "schema": {"type": "string"}}]


def _data_field() -> dict:
    body = json_body()
    data = body.get("data")
    if not isinstance(data, dict):
        raise InvalidSubmission({"data": ["必须是对象" if locale() == "zh" else "must be an object"]})
    return data


def _next_tasks(ctx, loaded, actor: Actor) -> list[dict]:
    """The tasks the step left ready (as just written; no re-read)."""
    codes = ctx.directory.codes_by_id
    return [task_dict(t, codes) for t in loaded.ready_rows.values()
            if actor.kind != "complainant" or t.role == "complainant"]


@endpoint(api_bp, "/openapi.json", "GET", "This OpenAPI document", auth="public", tags=["meta"])
def openapi():
    return jsonify(openapi_document())


@endpoint(api_bp, "/complaints/schema", "GET", "The intake form's JSON Schema", auth="public", tags=["complaints"])
def complaint_schema():
    return jsonify(intake.intake_schema(engine_context()))


@endpoint(api_bp, "/complaints", "POST", "File a complaint (accepting units, channel intake)", tags=["complaints"],
          request_schema={"type": "object", "description": "the intake form (GET /complaints/schema) plus optional external_id"},
          responses={201: "created", 200: "idempotent replay", 401: "no token", 409: "duplicate open complaint",
                     422: "field errors"},
          parameters=[{"name": "Idempotency-Key", "in": "header", "required": False, "schema": {"type": "string"}}])
def file_complaint():
    data = json_body()
    external_id = data.pop("external_id", None)
    if external_id is not None and (not isinstance(external_id, str) or not 0 < len(external_id) <= 100):
        raise InvalidSubmission({"external_id": ["1 到 100 个字符" if locale() == "zh" else "1 to 100 characters"]})
    key = request.headers.get("Idempotency-Key")
    if key is not None and not 0 < len(key) <= 100:
        raise InvalidSubmission({"Idempotency-Key": ["1 到 100 个字符" if locale() == "zh" else "1 to 100 characters"]})
    result = intake.register_complaint(engine_context(), current_actor(), data, external_id=external_id,
                                       idempotency_key=key, locale=locale())
    body = {"case_no": result.case.case_no, "status": result.case.status, "stage": result.case.stage}
    if result.query_code:
        body["query_code"] = result.query_code
    return jsonify(body), (200 if result.replayed else 201)


@endpoint(api_bp, "/cases", "GET", "Cases the caller may see, newest first (search and keyset pagination)",
          tags=["cases"], parameters=[{"name": n, "in": "query", "required": False, "schema": {"type": t}}
                                      for n, t in (("status", "string"), ("stage", "string"), ("q", "string"),
                                                   ("limit", "integer"), ("before_id", "integer"))],
          responses={200: "{cases, next_before_id}", 422: "bad paging parameters"})
def list_cases():
    args = request.args
    errors = {}
    limit = args.get("limit", "50")
    before = args.get("before_id")
    if not limit.isdigit() or not 1 <= int(limit) <= 200:
        errors["limit"] = ["1 到 200" if locale() == "zh" else "1 to 200"]
    if before is not None and not before.isdigit():
        errors["before_id"] = ["必须是正整数" if locale() == "zh" else "a positive integer"]
    if errors:
        raise InvalidSubmission(errors)
    rows = search_cases(db.session, current_actor(), status=args.get("status"), stage=args.get("stage"),
                        q=(args.get("q") or "")[:100] or None, limit=int(limit),
                        before_id=int(before) if before else None)
    codes = org_codes(db.session)
    return jsonify({"cases": [case_summary(c, codes) for c in rows],
                    "next_before_id": rows[-1].id if len(rows) == int(limit) else None})


@endpoint(api_bp, "/cases/{case_no}", "GET", "A case: status, stage, data, ready tasks, timers, history",
          tags=["cases"], responses={200: "OK", 404: "unknown or another org's case"})
def get_case(case_no):
    case = case_by_no(db.session, current_actor(), case_no)
    return jsonify(case_detail(db.session, case))


@endpoint(api_bp, "/cases/{case_no}/withdraw", "POST", "Withdraw a complaint on the complainant's behalf",
          tags=["cases"], request_schema={"type": "object", "properties": {"reason": {"type": "string"}}},
          responses={200: "withdrawn", 404: "not found", 409: "cannot be withdrawn now"})
def withdraw_case(case_no):
    case = case_by_no(db.session, current_actor(), case_no)
    reason = str(json_body().get("reason", ""))[:500]
    withdrawal.withdraw(engine_context(), current_actor(), case, reason)
    return jsonify({"case_no": case.case_no, "status": case.status, "outcome": case.outcome})


def _public_case(case_no) -> Case:
    """The case whose query code the endpoint wrapper checked (auth="query_code")."""
    return db.session.get(Case, g.public_case_id)


@endpoint(api_bp, "/public/cases/{case_no}", "GET", "The complainant's view of a case", auth="query_code",
          tags=["public"], parameters=QUERY_CODE, responses={200: "OK", 404: "unknown case or wrong code"})
def public_case(case_no):
    return jsonify(public_view(db.session, _public_case(case_no)))


@endpoint(api_bp, "/public/cases/{case_no}/tasks/{task_id}/complete", "POST",
          "Complete a task waiting on the complainant", auth="query_code", tags=["public"], parameters=QUERY_CODE,
          request_schema=DATA_BODY, responses={200: "completed", 404: "not found", 409: "no longer ready", 422: "field errors"})
def public_complete(case_no, task_id):
    case = _public_case(case_no)
    actor = Actor.complainant(case.id)
    ctx = engine_context()
    loaded = task_service.complete_task(ctx, actor, task_id, _data_field(), locale=locale())
    return jsonify({"case_no": case.case_no, "status": case.status, "stage": case.stage,
                    "next_tasks": _next_tasks(ctx, loaded, actor)})


@endpoint(api_bp, "/public/cases/{case_no}/withdraw", "POST", "The complainant withdraws the complaint",
          auth="query_code", tags=["public"], parameters=QUERY_CODE,
          request_schema={"type": "object", "properties": {"reason": {"type": "string"}}},
          responses={200: "withdrawn", 404: "not found", 409: "cannot be withdrawn now"})
def public_withdraw(case_no):
    case = _public_case(case_no)
    reason = str((request.get_json(silent=True) or {}).get("reason", ""))[:500]
    withdrawal.withdraw(engine_context(), Actor.complainant(case.id), case, reason)
    return jsonify({"case_no": case.case_no, "status": case.status, "outcome": case.outcome})


@endpoint(api_bp, "/tasks", "GET", "Ready tasks the caller may act on, least time left first", tags=["tasks"])
def list_tasks():
    codes = org_codes(db.session)
    return jsonify({"tasks": [task_dict(t, codes) for t in tasks_for(db.session, current_actor())]})


def _task_for_caller(task_id) -> ReadyTask:
    actor = current_actor()
    task = db.session.get(ReadyTask, task_id)
    if task is None:
        raise NotFound("task not found")
    if not can_act_on_task(actor, task):
        case = db.session.get(Case, task.case_id) if task.case_id else None
        if case is None or not can_view_case(actor, case):
            raise NotFound("task not found")
    return task


@endpoint(api_bp, "/tasks/{task_id}", "GET", "A ready task with its form schema and the case data", tags=["tasks"],
          responses={200: "OK", 404: "unknown or another org's task"})
def get_task(task_id):
    task = _task_for_caller(task_id)
    instance = db.session.get(ProcessInstance, task.instance_id)
    definition = definitions.definition(db.session, instance.definition_id)
    body = task_dict(task, org_codes(db.session))
    body.update(schema=definition.form(task.form), ui=definition.form(task.ui_form),
                data=instance.data, can_complete=can_act_on_task(current_actor(), task))
    return jsonify(body)


@endpoint(api_bp, "/tasks/{task_id}/complete", "POST", "Complete a task with its form data", tags=["tasks"],
          request_schema=DATA_BODY,
          responses={200: "completed; the case's next tasks", 404: "unknown or another org's task",
                     409: "no longer ready", 422: "field errors"})
def complete_task(task_id):
    actor = current_actor()
    ctx = engine_context()
    loaded = task_service.complete_task(ctx, actor, task_id, _data_field(), locale=locale())
    case = loaded.case
    return jsonify({"case_no": case.case_no if case else None, "status": case.status if case else loaded.row.status,
                    "stage": case.stage if case else None, "instance_id": loaded.row.id,
                    "next_tasks": _next_tasks(ctx, loaded, actor)})


@endpoint(api_bp, "/process-instances", "POST", "Start a deployed process (process owners)", tags=["processes"],
          request_schema={"type": "object", "required": ["process_key"],
                          "properties": {"process_key": {"type": "string"}, "data": {"type": "object"}}},
          responses={201: "started", 403: "not a process owner", 404: "unknown process", 422: "bad input"})
def start_process():
    actor = current_actor()
    if not can_start_process(actor):
        raise NotAllowed("only process owners may start processes directly")
    body = json_body()
    key, data = body.get("process_key"), body.get("data", {})
    if not isinstance(key, str) or not isinstance(data, dict):
        raise InvalidSubmission({"process_key": ["required string"], "data": ["must be an object"]})
    definition = definitions.latest(db.session, key)
    if definition is None:
        raise NotFound(f"no deployed process {key!r}")
    ctx = engine_context()
    loaded = workflow.start(ctx, definition, data, actor)
    return jsonify({"instance_id": loaded.row.id, "status": loaded.row.status, "key": key,
                    "version": definition.version, "next_tasks": _next_tasks(ctx, loaded, actor)}), 201


@endpoint(api_bp, "/process-instances/{instance_id}", "GET", "A process instance (process owners)", tags=["processes"])
def get_instance(instance_id):
    actor = current_actor()
    if actor.role not in ("process_owner", "admin"):
        raise NotFound("instance not found")
    row = db.session.get(ProcessInstance, int(instance_id)) if str(instance_id).isdigit() else None
    if row is None:
        raise NotFound("instance not found")
    tasks = db.session.execute(select(ReadyTask).where(ReadyTask.instance_id == row.id)).scalars()
    return jsonify({"instance_id": row.id, "status": row.status, "data": row.data,
                    "ready_tasks": [task_dict(t, org_codes(db.session)) for t in tasks]})


