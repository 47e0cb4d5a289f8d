"""JSON API /api/v1/models: process models (list, validate, deploy, dry run, diff) and case migration.

Process owners may do everything; administrators may look (list, validate, dry run, diff, plan).
Uploads are multipart files (`.bpmn`, `.dmn`, forms `.json`), capped per file at
`settings.max_upload_bytes` (422 naming the file) and per request by Flask (413).
"""
from __future__ import annotations

from dataclasses import asdict

from flask import Blueprint, current_app, jsonify, request
from werkzeug.exceptions import RequestEntityTooLarge

from app.db import db
from app.errors import DomainError, InvalidSubmission
from app.services import case_migration, model_admin, model_drafts
from app.web.api_support import current_actor, endpoint, engine_context

models_bp = Blueprint("models", __name__, url_prefix="/api/v1")

MULTIPART = {"type": "object", "description": "multipart/form-data: one or more files (.bpmn, .dmn, forms .json)"}
VERSIONS = {"from_version": {"type": "integer"}, "to_version": {"type": "integer"}}


class UploadTooLarge(DomainError):
    status = 413


def _limit() -> int:
    return current_app.extensions["lvyue.settings"].max_upload_bytes


def _too_large() -> UploadTooLarge:
    return UploadTooLarge(f"the upload is larger than the limit of {_limit()} bytes per request",
                          limit_bytes=_limit())


def _uploaded_files() -> dict[str, bytes]:
    """{filename: bytes} from a multipart request; a file over the cap is read only up to it."""
    try:
        storages = [s for key in request.files for s in request.files.getlist(key)]
    except RequestEntityTooLarge:
        raise _too_large() from None
    files: dict[str, bytes] = {}
    for storage in storages:
        name = (storage.filename or "").replace("\\", "/").rsplit("/", 1)[-1].strip()
        if not name:
            raise InvalidSubmission({"files": ["every uploaded file needs a file name"]})
        if name in files:
            raise InvalidSubmission({"files": [f"{name}: uploaded twice"]})
        files[name] = storage.stream.read(_limit() + 1)
    return files


def _form_field(name: str) -> str:
    try:
        return request.form.get(name, "") or ""
    except RequestEntityTooLarge:
        raise _too_large() from None


def _json() -> dict:
    try:
        body = request.get_json(silent=True)
    except RequestEntityTooLarge:
        raise _too_large() from None
    if not isinstance(body, dict):
        raise InvalidSubmission({"": ["body must be a JSON object"]})
    return body


def _problem_dicts(problems) -> list[dict]:
    return [{"file": p.file, "element_id": p.element_id, "element_name": p.element_name, "code": p.code,
             "message": p.message, "line": p.line} for p in problems]


@endpoint(models_bp, "/models", "GET", "Every process with its deployed versions and running cases per version",
          tags=["models"], responses={200: "OK", 403: "not a process owner or administrator"})
def list_models():
    model_admin.require_viewer(current_actor())
    return jsonify({"processes": model_admin.list_processes(db.session)})


@endpoint(models_bp, "/models/validate", "POST", "Check uploaded models (parse + lint); nothing is stored",
          writes=False, tags=["models"], request_schema=MULTIPART,
          responses={200: "{valid, problems: [{file, element_id, element_name, code, message, line}]}",
                     403: "not allowed", 413: "upload too large"})
def validate_models():
    model_admin.require_viewer(current_actor())
    files = model_admin.with_base(db.session, _form_field("base_key"), _uploaded_files())
    problems = model_admin.validate_upload(files, _limit())
    return jsonify({"valid": not problems, "problems": _problem_dicts(problems)})


@endpoint(models_bp, "/models/deploy", "POST", "Deploy uploaded models as new immutable versions (process owners)",
          tags=["models"], request_schema=MULTIPART,
          responses={201: "a new version of at least one process", 200: "nothing changed",
                     403: "not a process owner", 413: "upload too large", 422: "problems (nothing deployed)"})
def deploy_models():
    model_admin.require_owner(current_actor())
    files = model_admin.with_base(db.session, _form_field("base_key"), _uploaded_files())
    results = model_admin.deploy_upload(engine_context(), current_actor(), files, _form_field("change_note"), _limit())
    body = {"versions": [asdict(r) for r in results]}
    return jsonify(body), (201 if any(r.created for r in results) else 200)


@endpoint(models_bp, "/models/dry-run", "POST", "Run a throw-away instance of a draft step by step; nothing is stored",
          writes=False, tags=["models"],
          request_schema={"type": "object", "required": ["process_key"], "properties": {
              "process_key": {"type": "string"}, "files": {"type": "object", "description": "{name: text}"},
              "base_key": {"type": "string", "description": "start from this process's deployed files"},
              "data": {"type": "object"}, "steps": {"type": "array", "items": {"type": "object"}}}},
          responses={200: "{steps: [{ready_tasks, data, waiting_timers}], problems}",
                     422: "the model does not parse, or a step failed (element_id names the element)"})
def dry_run_model():
    model_admin.require_viewer(current_actor())
    body = _json()
    texts, key = body.get("files") or {}, body.get("process_key")
    if not isinstance(key, str) or not key:
        raise InvalidSubmission({"process_key": ["required string"]})
    if not isinstance(texts, dict) or not all(isinstance(v, str) for v in texts.values()):
        raise InvalidSubmission({"files": ["must map file names to text"]})
    base = body.get("base_key") or (None if texts else key)
    if base is not None and not isinstance(base, str):
        raise InvalidSubmission({"base_key": ["must be a string"]})
    files = model_admin.with_base(db.session, base, {n: t.encode("utf-8") for n, t in texts.items()})
    result = model_admin.dry_run(engine_context(), files, key, body.get("data") or {}, body.get("steps") or [],
                                 _limit())
    if result["error"] is None:
        return jsonify(result)
    error = result["error"]
    return jsonify({"error": error["error"], "message": error["message"], "element_id": error.get("element_id", ""),
                    "errors": error.get("errors"), "step": error["step"], "steps": result["steps"],
                    "problems": result["problems"]}), 422


@endpoint(models_bp, "/models/{key}/diff", "GET", "Added, removed and changed elements between two versions",
          tags=["models"], parameters=[{"name": "from", "in": "query", "required": True, "schema": {"type": "integer"}},
                                       {"name": "to", "in": "query", "required": True, "schema": {"type": "integer"}}],
          responses={200: "{added, removed, changed}", 404: "unknown version"})
def diff_model(key):
    model_admin.require_viewer(current_actor())
    return jsonify(model_admin.version_diff(db.session, key, request.args.get("from"), request.args.get("to")))


@endpoint(models_bp, "/models/{key}/migrations/plan", "POST", "Running cases of a version and whether each can move",
          writes=False, tags=["models"], request_schema={"type": "object", "required": ["from_version", "to_version"], "properties": {
              **VERSIONS, "stage": {"type": "string"}, "org": {"type": "string"}}},
          responses={200: "{candidates: [{instance_id, case_no, stage, org_code, can_move, reason}]}"})
def plan_migration(key):
    body = _json()
    candidates = case_migration.plan(engine_context(), current_actor(), key, body.get("from_version"),
                                     body.get("to_version"), body.get("stage") or None, body.get("org") or None)
    return jsonify({"key": key, "candidates": [asdict(c) for c in candidates]})


@endpoint(models_bp, "/models/{key}/migrations", "POST", "Move running cases to another version (process owners)",
          tags=["models"], request_schema={"type": "object", "required": ["from_version", "to_version", "instance_ids"],
                                           "properties": {**VERSIONS, "instance_ids": {"type": "array",
                                                                                       "items": {"type": "integer"}}}},
          responses={200: "{moved: [...], refused: [{instance_id, reason}]}", 403: "not a process owner"})
def migrate_cases(key):
    body = _json()
    report = case_migration.migrate_batch(engine_context(), current_actor(), key, body.get("from_version"),
                                          body.get("to_version"), body.get("instance_ids"))
    return jsonify(asdict(report))


@endpoint(models_bp, "/models/{key}/draft", "GET", "The working copy of a process (or its latest deployed files)",
          tags=["models"], responses={200: "{key, is_draft, files: {name: text}, note}", 404: "unknown process"})
def get_draft(key):
    return jsonify(model_drafts.get_draft(db.session, current_actor(), key))


@endpoint(models_bp, "/models/{key}/draft", "PUT", "Save the working copy (process owners); returns its problems",
          tags=["models"],
          request_schema={"type": "object", "required": ["files"], "properties": {
              "files": {"type": "object", "description": "{file name: text}"}, "note": {"type": "string"}}},
          responses={200: "{saved, problems}", 403: "not a process owner", 422: "bad files"})
def save_draft(key):
    body = _json()
    problems = model_drafts.save_draft(engine_context(), current_actor(), key, body.get("files"),
                                       body.get("note", ""), _limit())
    return jsonify({"saved": True, "problems": _problem_dicts(problems)})


@endpoint(models_bp, "/models/{key}/draft", "DELETE", "Discard the working copy (process owners)", tags=["models"],
          responses={200: "discarded", 403: "not a process owner", 404: "no draft"})
def discard_draft(key):
    model_drafts.discard_draft(engine_context(), current_actor(), key)
    return jsonify({"discarded": True})


@endpoint(models_bp, "/models/{key}/draft/deploy", "POST", "Deploy the working copy as new versions (process owners)",
          tags=["models"], request_schema={"type": "object", "properties": {"change_note": {"type": "string"}}},
          responses={201: "deployed; the draft is gone", 200: "nothing changed", 403: "not a process owner",
                     404: "no draft", 422: "problems (nothing deployed, the draft is kept)"})
def deploy_draft(key):
    body = request.get_json(silent=True) or {}
    note = body.get("change_note", "") if isinstance(body, dict) else ""
    results = model_drafts.deploy_draft(engine_context(), current_actor(), key, note, _limit())
    return jsonify({"versions": [asdict(r) for r in results]}), (201 if any(r.created for r in results) else 200)
