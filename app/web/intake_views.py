"""Intake officers register complaints that reached them another way — the 12345 hotline, a letter,
the counter, another platform — on the same form as the public page, with the channel chosen.
The case is accepted by the officer's own unit; the query code is shown once, to be passed to
the complainant, with the printable acknowledgement."""
from __future__ import annotations

import secrets

from flask import Blueprint, current_app, redirect, render_template, request, session, url_for

from app.db import db
from app.queries.cases import case_by_no
from app.queries.documents import attachments_for_case
from app.task_forms import FormSpec
from app.web import complaint_form
from app.web.complaint_filing import Refused, file_from_page
from app.web.form_state import values_from_request
from app.web.i18n import current_locale
from app.web.pages import current_actor, engine_context, page, read_snapshot
from app.web.uploads import KEPT_PREFIX, FileInput, read_file_fields

intake_bp = Blueprint("intake", __name__)
OFFICERS = ("intake_officer",)
SESSION_RECEIPT = "intake_receipt"   # {case_no, code}: shown once on the registered page
SESSION_UPLOADS = "upload_binding"   # the same binding the public pages use for kept uploads


def _settings():
    return current_app.extensions["lvyue.settings"]


def _render(form: FormSpec, *, values=None, errors=None, files: FileInput | None = None,
            duplicate_case_no: str | None = None, status: int = 200):
    options = {"orgs": complaint_form.org_options(engine_context()), "max_upload_bytes": _settings().max_upload_bytes}
    return render_template("intake/new.html", form=form, values=values or {}, errors=errors or {}, options=options,
                           kept=(files.kept if files else {}), kept_prefix=KEPT_PREFIX,
                           duplicate_case_no=duplicate_case_no), status


def _read_files(form: FormSpec) -> FileInput:
    settings = _settings()
    binding = session.setdefault(SESSION_UPLOADS, secrets.token_urlsafe(12))
    return read_file_fields(form, request.files, request.form, storage_dir=settings.attachments_path,
                            secret_key=current_app.secret_key, max_bytes=settings.max_upload_bytes,
                            locale=current_locale(), binding=binding)


@page(intake_bp, "/intake/new", methods=("GET", "POST"), roles=OFFICERS)
def register():
    if request.method == "GET":
        form = complaint_form.load_page_form(engine_context(), show_channel=True)
        return _render(form, values={"channel": request.args.get("channel", "hotline_12345")})
    with read_snapshot():
        form = complaint_form.load_page_form(engine_context(), show_channel=True)
    files = _read_files(form)
    outcome = file_from_page(form, files, actor=current_actor(), public=False)
    if isinstance(outcome, Refused):
        values = values_from_request(form, request.form)
        with read_snapshot():
            return _render(form, values=values, errors=outcome.errors, files=files, status=outcome.status,
                           duplicate_case_no=outcome.duplicate_case_no)
    session[SESSION_RECEIPT] = {"case_no": outcome.case_no, "code": outcome.query_code}
    return redirect(url_for("intake.registered", case_no=outcome.case_no))


@page(intake_bp, "/intake/<case_no>/registered", roles=OFFICERS)
def registered(case_no: str):
    case = case_by_no(db.session, current_actor(), case_no[:20])
    shown = session.get(SESSION_RECEIPT) or {}
    code = None
    if shown.get("case_no") == case.case_no:
        code = shown.get("code")
        session.pop(SESSION_RECEIPT, None)  # the code is shown once; only its hash is stored
    return render_template("intake/registered.html", case=case, code=code,
                           files=attachments_for_case(db.session, case.id, public_only=True))
