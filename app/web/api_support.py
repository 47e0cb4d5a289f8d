"""API plumbing: bearer-token auth, one transaction per request, and the OpenAPI registry that
documents each route from the same declaration that registers it."""
from __future__ import annotations

import re

from dataclasses import dataclass, field
from functools import wraps
from typing import Callable

from flask import Blueprint, current_app, g, request
from sqlalchemy import select
from sqlalchemy.exc import IntegrityError

from app import clock
from app.db import db, unit_of_work
from app.db_events import read_only
from app.errors import Conflict, DomainError, InvalidSubmission, NotFound
from app.models import Case
from app.policy import Actor
from app.services import rate_limits
from app.services.accounts import actor_for, user_for_token
from app.services.intake import query_code_matches
from app.services.engine_context import EngineContext


class Unauthorized(DomainError):
    status = 401


class TooManyRequests(DomainError):
    status = 429


@dataclass
class Operation:
    path: str
    method: str
    summary: str
    auth: str
    request_schema: dict | None
    responses: dict[int, str]
    tags: list[str] = field(default_factory=list)
    parameters: list[dict] = field(default_factory=list)


REGISTRY: list[Operation] = []


def locale() -> str:
    lang = request.args.get("lang") or request.headers.get("Accept-Language", "zh")
    return "en" if lang.lower().startswith("en") else "zh"


def current_actor() -> Actor:
    return g.actor


def json_body() -> dict:
    data = request.get_json(silent=True)
    if not isinstance(data, dict):
        raise InvalidSubmission({"": ["请求体必须是 JSON 对象" if locale() == "zh" else "body must be a JSON object"]})
    return data


def engine_context() -> EngineContext:
    settings = current_app.extensions["lvyue.settings"]
    return EngineContext.load(db.session, clock.now(), settings.script_time_limit)


def _authenticate() -> Actor:
    header = request.headers.get("Authorization", "")
    if not header.startswith("Bearer "):
        raise Unauthorized("missing bearer token")
    user = user_for_token(db.session, header[7:].strip())
    if user is None:
        raise Unauthorized("invalid or revoked token")
    return actor_for(user)


def endpoint(bp: Blueprint, path: str, method: str, summary: str, *, auth: str = "bearer", writes: bool | None = None,
             request_schema: dict | None = None, responses: dict[int, str] | None = None,
             tags: list[str] | None = None, parameters: list[dict] | None = None) -> Callable:
    """Register a route that runs in one transaction: commit on success (writes), roll back on any error.
    `writes=False` marks a POST that only computes (validate, dry run, plan): it runs like a GET, on a
    read snapshot that is rolled back, and never holds the SQLite write lock."""
    writes = method.upper() != "GET" if writes is None else writes
    REGISTRY.append(Operation(bp.url_prefix + path, method.lower(), summary, auth, request_schema,
                              responses or {200: "OK"}, tags or [], parameters or []))

    def decorator(fn):
        @wraps(fn)
        def view(*args, **kwargs):
            session = db.session
            if auth == "query_code":
                g.public_case_id = _check_query_code(session, kwargs.get("case_no", ""))
            if not writes:
                with read_only():
                    try:
                        if auth == "bearer":
                            g.actor = _authenticate()
                        return fn(*args, **kwargs)
                    finally:
                        session.rollback()
            if auth == "bearer":
                # on SQLite, authenticate on a read snapshot so the write lock covers only the work
                with read_only():
                    g.actor = _authenticate()
                    if session.get_bind().dialect.name == "sqlite":
                        session.rollback()
            return _write_with_one_retry(session, fn, args, kwargs)

        flask_path = path.replace("{", "<").replace("}", ">")
        bp.add_url_rule(flask_path, endpoint=fn.__name__, view_func=view, methods=[method.upper()])
        return view

    return decorator


def query_code_rate_key() -> str:
    """Wrong query codes are counted per client address; the API and the follow page share the budget."""
    return f"query-code:{request.remote_addr or '-'}"


def _check_query_code(session, case_no: str) -> int:
    """The complainant's key to one case. Wrong codes are counted per client address; past the
    limit every public lookup from that address gets 429 for a while. A wrong code and an unknown
    case number answer the same 404."""
    key = query_code_rate_key()
    now = clock.now()
    with read_only():
        blocked = rate_limits.is_blocked(session, key, now)
        case = None if blocked else session.execute(select(Case).where(Case.case_no == case_no)).scalar_one_or_none()
        ok = case is not None and query_code_matches(case, request.args.get("query_code"))
        case_id = case.id if ok else None
        session.rollback()
    if blocked:
        raise TooManyRequests("too many wrong case numbers or query codes from this address; try again later")
    if case_id is None:
        with unit_of_work(session):
            rate_limits.record_failure(session, key, now)
        raise NotFound("case not found")
    return case_id


def _write_with_one_retry(session, fn, args, kwargs):
    """A unique-constraint race (two first registrations of a year, two retries with the same
    Idempotency-Key) is retried once: the second attempt sees the committed row and answers as a
    replay. A second collision is reported as a conflict; nothing half-written either way."""
    for attempt in (1, 2):
        try:
            with unit_of_work(session):
                return fn(*args, **kwargs)
        except IntegrityError:
            if attempt == 2:
                raise Conflict("a concurrent request changed the same record; please retry") from None
    raise AssertionError("unreachable")  # pragma: no cover


def openapi_document() -> dict:
    paths: dict = {}
    for op in REGISTRY:
        item = {"summary": op.summary, "tags": op.tags, "responses": {str(k): {"description": v} for k, v in op.responses.items()}}
        params = [{"name": name, "in": "path", "required": True, "schema": {"type": "string"}}
                  for name in _path_params(op.path)] + op.parameters
        if params:
            item["parameters"] = params
        if op.request_schema is not None:
            item["requestBody"] = {"required": True, "content": {"application/json": {"schema": op.request_schema}}}
        item["security"] = [{"bearer": []}] if op.auth == "bearer" else []
        if op.auth == "query_code":
            item["responses"].setdefault("429", {"description": "too many wrong codes from this address"})
        paths.setdefault(op.path, {})[op.method] = item
    return {
        "openapi": "3.1.0",
        "info": {"title": "Lüyue (履约) API", "version": "1",
                 "description": "Government breach-of-contract complaints: intake, cases, tasks."},
        "paths": paths,
        "components": {"securitySchemes": {"bearer": {"type": "http", "scheme": "bearer"}}},
    }


def _path_params(path: str) -> list[str]:
    return re.findall(r"{([a-z_]+)}", path)
