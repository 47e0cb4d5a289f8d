"""The public side (no account): the home page, filing a complaint, the receipt, following a case
with its number and query code, the complainant's own tasks, withdrawal and public files.

A visitor's key to a case is the query code. Filing a complaint or giving the right code puts the
case id in the (signed) session cookie, so the follow pages need no code again; a wrong code is
counted per client address with the same budget as the API's public endpoints and never says
whether the case exists."""
from __future__ import annotations

import re
import secrets

from flask import (Blueprint, current_app, flash, redirect, render_template, request, send_file, session,
                   url_for)
from flask_babel import gettext as _
from sqlalchemy import select

from app import clock
from app.db import db
from app.errors import Conflict, InvalidSubmission, NotFound, TaskNotAvailable
from app.models import Case, ProcessInstance, ReadyTask
from app.policy import Actor
from app.queries.cases import public_view
from app.queries.documents import attachments_for_case
from app.services import definitions, intake, rate_limits, withdrawal
from app.services import tasks as task_service
from app.services.attachments import open_attachment, store_attachments
from app.task_forms import FormSpec, coerce, collect_errors, load_form
from app.web.api_support import query_code_rate_key
from app.web import complaint_form, public_progress
from app.web.complaint_filing import Refused, file_from_page, merge_errors
from app.web.form_state import values_from_request
from app.web.i18n import current_locale
from app.web.pages import engine_context, page, read_snapshot, write_transaction
from app.web.staff_labels import task_name
from app.web.uploads import KEPT_PREFIX, FileInput, put_values, read_file_fields

public_bp = Blueprint("public", __name__)
_UNSAFE_NAME = re.compile(r'[\x00-\x1f\x7f/\\:*?"<>|;]+')

SESSION_CASES = "public_cases"      # ids of the cases this browser opened (filed, or right code given)
SESSION_RECEIPT = "public_receipt"  # {case_no, code}: the query code, until the receipt has shown it
SESSION_UPLOADS = "upload_binding"  # ties kept-upload tokens to this browser's session
MAX_REMEMBERED = 10
REASON_MAX = 500


def _settings():
    return current_app.extensions["lvyue.settings"]


# -- the visitor's cases -----------------------------------------------------------------------------

def _remembered() -> list[int]:
    return [i for i in session.get(SESSION_CASES, []) if isinstance(i, int)]


def _remember(case_id: int) -> None:
    session[SESSION_CASES] = ([i for i in _remembered() if i != case_id] + [case_id])[-MAX_REMEMBERED:]


def _followed(case_no: str) -> Case | None:
    """The case if this browser opened it with its query code (or filed it), else None."""
    case = db.session.execute(select(Case).where(Case.case_no == case_no[:20])).scalar_one_or_none()
    return case if case is not None and case.id in _remembered() else None


def _read_files(form: FormSpec) -> FileInput:
    """The form's file fields from this request (checked, kept across a re-render for this session)."""
    settings = _settings()
    binding = session.setdefault(SESSION_UPLOADS, secrets.token_urlsafe(12))
    return read_file_fields(form, request.files, request.form, storage_dir=settings.attachments_path,
                            secret_key=current_app.secret_key, max_bytes=settings.max_upload_bytes,
                            locale=current_locale(), binding=binding)


def _ask_for_code(case_no: str):
    return redirect(url_for("public.follow", case_no=case_no))


# -- home --------------------------------------------------------------------------------------------

@page(public_bp, "/", auth="public")
def home():
    return render_template("public/home.html")


# -- filing a complaint -------------------------------------------------------------------------------

def _render_complaint(form: FormSpec, *, values=None, errors=None, files: FileInput | None = None,
                      duplicate_case_no: str | None = None, status: int = 200):
    ctx = engine_context()
    options = {"orgs": complaint_form.org_options(ctx), "max_upload_bytes": _settings().max_upload_bytes}
    return render_template("public/complaint_form.html", form=form, values=values or {}, errors=errors or {},
                           options=options, kept=(files.kept if files else {}), kept_prefix=KEPT_PREFIX,
                           duplicate_case_no=duplicate_case_no), status


@page(public_bp, "/complaints/new", methods=("GET", "POST"), auth="public")
def file_complaint():
    if request.method == "GET":
        return _render_complaint(complaint_form.load_page_form(engine_context()))
    with read_snapshot():
        form = complaint_form.load_page_form(engine_context())
    files = _read_files(form)
    outcome = file_from_page(form, files, actor=Actor.complainant(None), public=True)
    if isinstance(outcome, Refused):
        values = values_from_request(form, request.form)
        with read_snapshot():
            return _render_complaint(form, values=values, errors=outcome.errors, files=files, status=outcome.status,
                                     duplicate_case_no=outcome.duplicate_case_no)
    session[SESSION_RECEIPT] = {"case_no": outcome.case_no, "code": outcome.query_code}
    _remember(outcome.case_id)
    return redirect(url_for("public.receipt", case_no=outcome.case_no))


@page(public_bp, "/complaints/<case_no>/receipt", auth="public")
def receipt(case_no: str):
    case = _followed(case_no)
    if case is None:
        return _ask_for_code(case_no)
    shown = session.get(SESSION_RECEIPT) or {}
    code = None
    if shown.get("case_no") == case.case_no:
        code = shown.get("code")
        session.pop(SESSION_RECEIPT, None)  # shown once
    return render_template("public/receipt.html", case=case, code=code,
                           files=attachments_for_case(db.session, case.id, public_only=True))


# -- following a case ---------------------------------------------------------------------------------

@page(public_bp, "/follow", methods=("GET", "POST"), auth="public")
def follow():
    if request.method == "GET":
        return render_template("public/follow.html", case_no=(request.args.get("case_no") or "")[:20], error=None)
    case_no = (request.form.get("case_no") or "").strip().upper()[:20]
    code = (request.form.get("query_code") or "").strip()[:40]
    now, key = clock.now(), query_code_rate_key()
    with read_snapshot():
        blocked = rate_limits.is_blocked(db.session, key, now)
        case = None if blocked else db.session.execute(
            select(Case).where(Case.case_no == case_no)).scalar_one_or_none()
        case_id = case.id if case is not None and intake.query_code_matches(case, code) else None
    if blocked:
        return render_template("public/follow.html", case_no=case_no, error="blocked"), 429
    if case_id is None:
        with write_transaction():
            rate_limits.record_failure(db.session, key, now)
        return render_template("public/follow.html", case_no=case_no, error="wrong"), 404
    _remember(case_id)
    return redirect(url_for("public.follow_case", case_no=case_no))


def _definition_of(case: Case):
    instance = db.session.get(ProcessInstance, case.instance_id) if case.instance_id else None
    return definitions.definition(db.session, instance.definition_id) if instance else None


def _task_form(definition, form_name: str | None, ui_name: str | None) -> FormSpec | None:
    schema = definition.form(form_name) if definition and form_name else None
    if schema is None:
        return None
    return load_form(schema, definition.form(ui_name) if ui_name else None)


def _render_case(case: Case, *, task_states: dict | None = None, stale: dict | None = None, status: int = 200):
    """The follow page. task_states: task id -> {values, errors, kept} of a form that came back."""
    view = public_view(db.session, case)
    definition = _definition_of(case)
    task_states = task_states or {}
    result = dict(view["result"])
    forms = []
    for item in view["my_tasks"]:
        row = db.session.get(ReadyTask, item["id"])
        form = _task_form(definition, row.form, row.ui_form) if row else None
        state = task_states.get(item["id"], {})
        forms.append({"task": item, "form": form, "form_name": row.form if row else "",
                      "ui_name": row.ui_form if row else "", "label": task_name(item["name"]),
                      "context": public_progress.task_context(item["task"], result, item.get("instructions") or ""),
                      "values": state.get("values", {}), "errors": state.get("errors", {}),
                      "kept": state.get("kept", {})})
    return render_template(
        "public/case.html", case=case, view=view, steps=public_progress.steps(view),
        stage=public_progress.stage_label(view["stage"], view["status"]),
        public_outcome=public_progress.outcome_label(view["outcome"]),
        results=public_progress.result_rows(result, view.get("handling_org")),
        timeline=public_progress.timeline(view), task_forms=forms, stale=stale, kept_prefix=KEPT_PREFIX,
        files=attachments_for_case(db.session, case.id, public_only=True),
        max_upload_bytes=_settings().max_upload_bytes), status


@page(public_bp, "/follow/<case_no>", auth="public")
def follow_case(case_no: str):
    case = _followed(case_no)
    if case is None:
        return _ask_for_code(case_no)
    return _render_case(case)


@page(public_bp, "/follow/<case_no>/tasks/<task_id>", methods=("POST",), auth="public")
def complete_task(case_no: str, task_id: str):
    settings, locale = _settings(), current_locale()
    task_id = task_id[:36]
    with read_snapshot():
        case = _followed(case_no)
        if case is None:
            return _ask_for_code(case_no)
        case_id, definition = case.id, _definition_of(case)
        row = db.session.get(ReadyTask, task_id)
        if row is not None and row.case_id == case_id:
            form_name, ui_name = row.form, row.ui_form
        else:  # gone meanwhile: draw what was sent with the form it was sent from
            form_name, ui_name = request.form.get("_form"), request.form.get("_ui")
        form = _task_form(definition, form_name, ui_name)
    if form is None:
        raise NotFound("task not found")
    files = _read_files(form)
    data = put_values(coerce(form, request.form), files.values)
    actor = Actor.complainant(case_id)
    try:
        with write_transaction():
            ctx = engine_context()
            if files.errors:
                raise InvalidSubmission(merge_errors(files.errors, collect_errors(
                    form.schema, data, locale=locale, org_codes=set(ctx.directory.by_code))))
            task_service.complete_task(ctx, actor, task_id, data, locale=locale)
            store_attachments(db.session, settings.attachments_path, ctx.now, actor, case_id, files.uploads,
                              task_id=task_id, public=True)
    except InvalidSubmission as exc:
        state = {"values": values_from_request(form, request.form), "errors": merge_errors(exc.errors, files.errors),
                 "kept": files.kept}
        with read_snapshot():
            return _render_case(db.session.get(Case, case_id), task_states={task_id: state}, status=422)
    except TaskNotAvailable:
        with read_snapshot():
            return _render_case(db.session.get(Case, case_id), status=409,
                                stale={"form": form, "data": data, "files": files.kept})
    flash(_("已提交，感谢您的配合。办理进度会在本页更新。"), "success")
    return redirect(url_for("public.follow_case", case_no=case_no))


# -- withdrawal -----------------------------------------------------------------------------------------

@page(public_bp, "/follow/<case_no>/withdraw", methods=("GET", "POST"), auth="public")
def withdraw(case_no: str):
    if request.method == "GET":
        case = _followed(case_no)
        if case is None:
            return _ask_for_code(case_no)
        return render_template("public/withdraw.html", case=case, reason="", error=None)
    reason = (request.form.get("reason") or "").strip()
    with read_snapshot():
        case = _followed(case_no)
        if case is None:
            return _ask_for_code(case_no)
        case_id = case.id
    error, status = None, 200
    if not reason:
        error, status = _("请填写撤回理由。"), 422
    elif len(reason) > REASON_MAX:
        error, status = _("撤回理由最多 %(n)s 个字。", n=REASON_MAX), 422
    else:
        try:
            with write_transaction():
                case = db.session.get(Case, case_id)
                withdrawal.withdraw(engine_context(), Actor.complainant(case_id), case, reason)
        except Conflict:
            error, status = _("案件已办结或已进入不能撤回的环节，无法撤回。"), 409
    if error:
        with read_snapshot():
            return render_template("public/withdraw.html", case=db.session.get(Case, case_id), reason=reason,
                                   error=error), status
    flash(_("投诉已撤回，案件已办结。"), "success")
    return redirect(url_for("public.follow_case", case_no=case_no))


# -- the case's public files -------------------------------------------------------------------------------

def _download_name(filename: str) -> str:
    """The stored name made safe for a Content-Disposition header (never empty)."""
    return (_UNSAFE_NAME.sub("_", filename or "").strip(" .") or "attachment")[:200]


@page(public_bp, "/follow/<case_no>/files/<int:attachment_id>", auth="public")
def download(case_no: str, attachment_id: int):
    case = _followed(case_no)
    if case is None:
        raise NotFound("attachment not found")
    attachment, path = open_attachment(db.session, _settings().attachments_path, Actor.complainant(case.id),
                                       attachment_id)
    response = send_file(path, mimetype=attachment.content_type, as_attachment=True,
                         download_name=_download_name(attachment.filename), max_age=0)
    response.headers["Cache-Control"] = "private, no-store"
    return response
