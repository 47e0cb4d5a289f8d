"""Map domain errors to JSON responses (API) — never a 500 for bad input."""
from __future__ import annotations

import logging

from flask import Flask, jsonify, request
from sqlalchemy.orm.exc import StaleDataError
from flask_wtf.csrf import CSRFError
from werkzeug.exceptions import HTTPException

from app.web.error_pages import error_page

from app.errors import (CalendarNotCovered, Conflict, DefinitionInvalid, DomainError, InvalidSubmission, NotAllowed,
                        NotFound, ProcessError, TaskNotAvailable)

log = logging.getLogger(__name__)

MESSAGES_ZH = {
    NotFound: "未找到",
    NotAllowed: "无权执行此操作",
    TaskNotAvailable: "该任务已被处理或已取消，请刷新后查看最新状态",
    Conflict: "操作与当前状态冲突",
    InvalidSubmission: "提交的数据有误，请按字段提示修改",
    DefinitionInvalid: "流程模型有错误",
    ProcessError: "流程执行出错，已回滚，未保存任何更改",
    CalendarNotCovered: "工作日历未覆盖该年度",
}


def error_body(exc: DomainError) -> dict:
    body = {"error": type(exc).__name__, "message": exc.message or str(exc)}
    zh = next((m for cls, m in MESSAGES_ZH.items() if isinstance(exc, cls)), None)
    if zh:
        body["message_zh"] = zh
    if isinstance(exc, InvalidSubmission):
        body["errors"] = exc.errors
    if isinstance(exc, DefinitionInvalid):
        body["problems"] = [p.as_dict() for p in exc.problems]
    if isinstance(exc, ProcessError) and exc.element_id:
        body["element_id"] = exc.element_id
    if exc.details:
        body.update({k: v for k, v in exc.details.items() if isinstance(v, (str, int, float, bool, list, dict))})
    return body


def _wants_html() -> bool:
    return not request.path.startswith("/api/")


def register_error_handlers(app: Flask) -> None:
    @app.errorhandler(DomainError)
    def _domain(exc: DomainError):
        if _wants_html():
            return error_page(exc.status, exc)
        return jsonify(error_body(exc)), exc.status

    @app.errorhandler(StaleDataError)
    def _stale(exc):
        if _wants_html():
            return error_page(409, Conflict("stale"))
        return jsonify({"error": "Conflict", "message": "the case was changed by someone else; reload and retry",
                        "message_zh": "案件已被他人更新，请刷新后重试"}), 409

    @app.errorhandler(CSRFError)
    def _csrf(exc: CSRFError):
        if _wants_html():
            return error_page(400, exc)
        return jsonify({"error": "Bad Request", "message": exc.description}), 400

    @app.errorhandler(HTTPException)
    def _http(exc: HTTPException):
        if _wants_html():
            return error_page(exc.code or 500, exc)
        return jsonify({"error": exc.name, "message": exc.description}), exc.code

    @app.errorhandler(Exception)
    def _unexpected(exc: Exception):
        log.exception("unhandled error on %s %s", request.method, request.path)
        if _wants_html():
            return error_page(500, exc)
        return jsonify({"error": "InternalError", "message": "internal error; nothing was saved",
                        "message_zh": "系统内部错误，本次操作未保存"}), 500
