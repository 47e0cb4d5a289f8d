"""Case pages for staff: the list (search, status and stage filters, keyset paging), everything
about one case, its internal notes and the download of its attachments."""
from __future__ import annotations

import re
import unicodedata

from flask import Blueprint, current_app, flash, redirect, render_template, request, send_file, url_for
from flask_babel import gettext as _

from app import clock
from app.db import db
from app.errors import InvalidSubmission
from app.queries.case_page import case_page as case_overview, org_names
from app.queries.cases import case_by_no, search_cases
from app.services.attachments import open_attachment
from app.services.case_notes import add_note
from app.web.i18n import current_locale
from app.web.pages import current_actor, page, read_snapshot, write_transaction
from app.web.staff_labels import register_staff_labels, stage_choices

cases_bp = Blueprint("cases", __name__)
cases_bp.record_once(lambda state: register_staff_labels(state.app))

PAGE_SIZE = 50


@page(cases_bp, "/cases")
def case_list():
    status = request.args.get("status") or ""
    status = status if status in ("open", "closed") else ""
    stage = (request.args.get("stage") or "").strip()[:30]
    q = (request.args.get("q") or "").strip()[:100]
    before = request.args.get("before") or ""
    before_id = int(before) if before.isdigit() else None
    rows = search_cases(db.session, current_actor(), status=status or None, stage=stage or None, q=q or None,
                        limit=PAGE_SIZE + 1, before_id=before_id)
    more = len(rows) > PAGE_SIZE
    rows = rows[:PAGE_SIZE]
    kept = {k: v for k, v in (("status", status), ("stage", stage), ("q", q)) if v}
    next_url = url_for("cases.case_list", before=rows[-1].id, **kept) if more and rows else None
    return render_template("cases/list.html", cases=rows, status=status, stage=stage, q=q, kept=kept,
                           next_url=next_url, paged=before_id is not None,
                           first_url=url_for("cases.case_list", **kept), stages=stage_choices(),
                           org_names=org_names(db.session))


def _render_case(case_no: str, *, status: int = 200, note_body: str = "", note_errors=None):
    actor = current_actor()
    case = case_by_no(db.session, actor, case_no)
    overview = case_overview(db.session, actor, clock.now(), case)
    return render_template("cases/case.html", case=case, overview=overview, note_body=note_body,
                           note_errors=note_errors or {}), status


@page(cases_bp, "/cases/<case_no>")
def case_page(case_no: str):
    return _render_case(case_no)


@page(cases_bp, "/cases/<case_no>/notes", methods=("POST",))
def add_case_note(case_no: str):
    body = request.form.get("body") or ""
    try:
        with write_transaction():
            case = case_by_no(db.session, current_actor(), case_no)
            add_note(db.session, clock.now(), current_actor(), case, body, locale=current_locale())
    except InvalidSubmission as exc:
        with read_snapshot():
            return _render_case(case_no, status=422, note_body=body, note_errors=exc.errors)
    flash(_("备注已添加。"), "success")
    return redirect(url_for("cases.case_page", case_no=case_no) + "#notes")


_UNSAFE = re.compile(r'[\x00-\x1f\x7f/\\:*?"<>|;]+')


def download_name(filename: str) -> str:
    """The stored name made safe for a Content-Disposition header: no path parts, no control or
    quoting characters, not empty."""
    name = unicodedata.normalize("NFC", filename or "").replace("\\", "/").rsplit("/", 1)[-1]
    name = _UNSAFE.sub("_", name).strip(" .") or "attachment"
    return name[:200]


@page(cases_bp, "/attachments/<int:attachment_id>")
def download_attachment(attachment_id: int):
    settings = current_app.extensions["lvyue.settings"]
    attachment, path = open_attachment(db.session, settings.attachments_path, current_actor(), attachment_id)
    response = send_file(path, mimetype=attachment.content_type, as_attachment=True,
                         download_name=download_name(attachment.filename), max_age=0)
    response.headers["Cache-Control"] = "private, no-store"
    return response
