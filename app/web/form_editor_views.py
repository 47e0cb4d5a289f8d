"""The form editor: a form's JSON Schema and ui hints side by side with a live preview drawn by the
same Jinja2 macros as the task page (templates/macros/form.html).

The texts come from the process's draft (or, without a draft, from its latest version) and are
saved back into the draft: forms are versioned with the model that uses them, so deploying the
draft makes the edited form part of the new version. The preview is a POST of both texts that
answers an HTML fragment (static/js/form_editor.js sends it, debounced, with the CSRF header);
without JavaScript the "preview" button re-renders the whole page. Administrators may look and
preview; only process owners save or create forms."""
from __future__ import annotations

from flask import Blueprint, current_app, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from markupsafe import Markup

from app.db import db
from app.errors import Conflict, InvalidSubmission, NotFound
from app.services import model_admin, model_drafts
from app.web.form_texts import (FORM_NAME, FormCheck, TextProblem, check_form_texts, find_form, new_form_texts,
                                text_digest)
from app.web.model_list_views import VIEWERS, render_model_list
from app.web.pages import current_actor, engine_context, page, read_snapshot, write_transaction
from app.web.staff_labels import register_staff_labels
from app.web.task_views import org_options

form_editor_bp = Blueprint("form_editor", __name__)
form_editor_bp.record_once(lambda state: register_staff_labels(state.app))


def _limit() -> int:
    return current_app.extensions["lvyue.settings"].max_upload_bytes


def _draft(key: str) -> dict:
    return model_drafts.get_draft(db.session, current_actor(), key)


def _form_of(draft: dict, name: str):
    entry = find_form(draft["files"], name)
    if entry is None:
        raise NotFound(f"process {draft['key']!r} has no form {name!r}")
    return entry


def _users_of(draft: dict, schema_file: str) -> list[str]:
    """The model files that name this form (a plain text search, enough to say where it is used)."""
    needle = f'"{schema_file}"'
    return sorted(n for n, text in draft["files"].items() if n.endswith(".bpmn") and needle in text)


def preview_html(check: FormCheck, orgs: list[dict]) -> Markup:
    """The preview fragment; a schema the macros cannot draw becomes one more problem, not a 500."""
    try:
        return Markup(render_template("form_editor/_preview.html", check=check, orgs=orgs))
    except Exception as exc:  # noqa: BLE001 - e.g. choices whose values are objects
        check.form = None
        check.syntax.append(TextProblem("", _("无法绘制该表单：%(error)s", error=f"{type(exc).__name__}: {exc}"[:300])))
        return Markup(render_template("form_editor/_preview.html", check=check, orgs=orgs))


def _render(key: str, name: str, draft: dict, check: FormCheck, *, base: tuple[str, str], status: int = 200,
            message: str = "", message_kind: str = "error"):
    entry = _form_of(draft, name)
    return render_template(
        "form_editor/editor.html", key=key, name=name, entry=entry, draft=draft, check=check,
        base_schema=base[0], base_ui=base[1], can_change=current_actor().role == "process_owner",
        used_by=_users_of(draft, entry.schema_file), preview_html=preview_html(check, org_options()), message=message,
        message_kind=message_kind,
    ), status


@page(form_editor_bp, "/models/<key>/forms/<name>", roles=VIEWERS)
def edit_form(key: str, name: str):
    model_admin.require_viewer(current_actor())
    draft = _draft(key)
    entry = _form_of(draft, name)
    schema_text = draft["files"][entry.schema_file]
    ui_text = draft["files"].get(entry.ui_file, "")
    check = check_form_texts(schema_text, ui_text, _limit())
    return _render(key, name, draft, check, base=(text_digest(schema_text), text_digest(ui_text)))


@page(form_editor_bp, "/models/<key>/forms/<name>/preview", methods=("POST",), roles=VIEWERS)
def preview(key: str, name: str):
    """The preview fragment for the typed texts (nothing is saved)."""
    model_admin.require_viewer(current_actor())
    check = check_form_texts(request.form.get("schema", ""), request.form.get("ui", ""), _limit())
    with read_snapshot():
        return preview_html(check, org_options())


@page(form_editor_bp, "/models/<key>/forms/<name>", methods=("POST",), roles=VIEWERS, endpoint="save_form")
def save_form(key: str, name: str):
    actor = current_actor()
    schema_text = request.form.get("schema", "")
    ui_text = request.form.get("ui", "")
    base = (request.form.get("base_schema", ""), request.form.get("base_ui", ""))
    check = check_form_texts(schema_text, ui_text, _limit())
    if request.form.get("_action") == "preview":
        model_admin.require_viewer(actor)
        with read_snapshot():
            return _render(key, name, _draft(key), check, base=base)
    model_admin.require_owner(actor)
    if check.syntax:
        with read_snapshot():
            return _render(key, name, _draft(key), check, base=base, status=422,
                           message=_("表单未保存：JSON 有错误，请先修正。"))
    try:
        with write_transaction():
            draft = _draft(key)
            entry = _form_of(draft, name)
            files = dict(draft["files"])
            current = (text_digest(files.get(entry.schema_file)), text_digest(files.get(entry.ui_file)))
            if current != base:
                raise Conflict("the form changed since the editor was opened")
            files[entry.schema_file] = schema_text
            if ui_text.strip():
                files[entry.ui_file] = ui_text
            else:
                files.pop(entry.ui_file, None)
            problems = model_drafts.save_draft(engine_context(), actor, key, files, draft.get("note") or "", _limit())
    except Conflict:
        with read_snapshot():
            draft = _draft(key)
            entry = _form_of(draft, name)
            fresh = (text_digest(draft["files"].get(entry.schema_file)), text_digest(draft["files"].get(entry.ui_file)))
            return _render(key, name, draft, check, base=fresh, status=409,
                           message=_("表单未保存：打开编辑器之后，草稿中的这个表单已被他人修改。您输入的内容仍在下方；"
                                     "再次保存将覆盖对方的修改。"))
    except InvalidSubmission as exc:
        with read_snapshot():
            detail = "; ".join(m for messages in exc.errors.values() for m in messages)
            return _render(key, name, _draft(key), check, base=base, status=422,
                           message=_("表单未保存：%(detail)s", detail=detail))
    if problems:
        flash(_("已保存到草稿。草稿现有 %(n)s 个问题，部署前需要解决。", n=len(problems)), "warning")
    else:
        flash(_("已保存到草稿，草稿检查无问题。部署草稿后，此表单成为新版本的一部分。"), "success")
    return redirect(url_for("form_editor.edit_form", key=key, name=name))


@page(form_editor_bp, "/models/<key>/forms", methods=("POST",), roles=VIEWERS, endpoint="new_form")
def new_form(key: str):
    actor = current_actor()
    model_admin.require_owner(actor)
    name = (request.form.get("name") or "").strip()
    title = (request.form.get("title") or "").strip()[:100]
    error = ""
    if not FORM_NAME.match(name):
        error = _("表单名称须以小写字母开头，只含小写字母、数字和下划线，最长 61 个字符。")
    with write_transaction():
        draft = _draft(key)
        if not error and find_form(draft["files"], name) is not None:
            error = _("草稿中已有名为「%(name)s」的表单。", name=name)
        if not error:
            schema_text, ui_text = new_form_texts(name, title)
            files = {**draft["files"], f"{name}.schema.json": schema_text, f"{name}.ui.json": ui_text}
            model_drafts.save_draft(engine_context(), actor, key, files, draft.get("note") or "", _limit())
    if error:
        with read_snapshot():
            return render_model_list(422, new_form={"key": key, "name": name, "title": title, "error": error})
    flash(_("已在草稿中新建表单「%(name)s」。", name=name), "success")
    return redirect(url_for("form_editor.edit_form", key=key, name=name))
