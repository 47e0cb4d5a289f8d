"""The bpmn-js modeler for process owners: edit the draft, validate, deploy, compare versions.

Pages: `/models/<key>/edit` (the modeler on the process's draft; administrators look, read-only)
and `/models/<key>/diff?from=1&to=2` (two versions drawn side by side with the changes listed).
The modeler's script talks to session-JSON endpoints beside the page (CSRF token in the
`X-CSRFToken` header): `draft.json` (GET the draft or the latest deployed files; PUT the files the
page changed, put over the draft, refused with 409 when one of them changed meanwhile — the form
editor writes forms into the same draft; DELETE discards it), `validate.json` (lint the draft with the
page's unsaved changes), `deploy.json` (deploy the saved draft with a change note), `preview.json`
(a due rule's or timer's due date for a sample start).
Process owners may change things; administrators may look and validate; anyone else gets 404."""
from __future__ import annotations

import hashlib
import html
import re
from urllib.parse import quote

from flask import Blueprint, abort, current_app, jsonify, render_template, request, url_for
from flask_babel import gettext as _

from app import clock
from app.db import db
from app.errors import Conflict, DefinitionInvalid, DomainError, InvalidSubmission, NotAllowed, NotFound
from app.policy import can_deploy
from app.services import model_admin, model_drafts
from app.web import model_preview
from app.web.modeler_labels import attribute_label, diff_labels, modeler_labels, spec_kind_label
from app.web.pages import current_actor, engine_context, page, read_snapshot, write_transaction
from app.web.staff_labels import STAGES, role_name, stage_label
from app.web.template_helpers import local_datetime

modeler_bp = Blueprint("modeler", __name__)

VIEWERS = ("process_owner", "admin")
LANE_ROLES = ("intake_officer", "handler", "supervisor", "complainant", "process_owner")
MAX_NOTE = 2000


# -- helpers ------------------------------------------------------------------------------------
def _limit() -> int:
    return current_app.extensions["lvyue.settings"].max_upload_bytes


def _versions(key: str) -> list[dict]:
    entry = next((p for p in model_admin.list_processes(db.session) if p["key"] == key), None)
    return entry["versions"] if entry else []


def _problem_dicts(problems) -> list[dict]:
    return [{"file": p.file, "element_id": p.element_id, "element_name": p.element_name, "code": p.code,
             "message": p.message, "line": p.line} for p in problems]


def _body() -> dict:
    body = request.get_json(silent=True)
    if not isinstance(body, dict):
        raise InvalidSubmission({"": [_("请求内容应为 JSON 对象")]})
    return body


def _files(body: dict, field: str = "files") -> dict[str, str]:
    files = body.get(field) or {}
    if not isinstance(files, dict) or not all(isinstance(k, str) and isinstance(v, str) for k, v in files.items()):
        raise InvalidSubmission({field: [_("应为 {文件名: 文本} 形式的对象")]})
    return files


def digest(text: str) -> str:
    """What the page remembers of a file it opened, to notice a save over someone else's change."""
    return hashlib.sha256(text.encode("utf-8")).hexdigest()[:32]


def _merged(current: dict[str, str], changed: dict[str, str], base: dict[str, str]) -> dict[str, str]:
    """The draft's files with the page's changed files put over them. The page sends only what it
    changed (the form editor saves forms into the same draft meanwhile) with the digest of each file
    as it opened it; a file changed since by someone else is a Conflict naming it."""
    stale = sorted(name for name, text in changed.items()
                   if name in current and base.get(name) != digest(current[name]) and current[name] != text)
    if stale:
        raise Conflict(", ".join(stale), files=stale)
    return {**current, **changed}


def _json_error(exc: DomainError):
    if isinstance(exc, Conflict) and exc.details.get("files"):
        return jsonify({"error": "Conflict", "files": exc.details["files"], "message": _(
            "这些文件在您打开后已被他人修改（也可能是在表单编辑器或另一个窗口中）：%(files)s。"
            "您的修改没有保存；请放弃草稿或刷新页面后重新修改。", files=", ".join(exc.details["files"]))}), 409
    if isinstance(exc, DefinitionInvalid):
        return jsonify({"error": "DefinitionInvalid", "problems": _problem_dicts(exc.problems)}), 422
    if isinstance(exc, InvalidSubmission):
        return jsonify({"error": "InvalidSubmission", "errors": exc.errors}), 422
    if isinstance(exc, NotAllowed):
        return jsonify({"error": "NotAllowed", "message": _("只有流程管理人员可以修改、发布或放弃草稿。")}), 403
    if isinstance(exc, NotFound):
        return jsonify({"error": "NotFound", "message": _("没有这个流程或草稿。")}), 404
    return jsonify({"error": type(exc).__name__, "message": exc.message or str(exc)}), exc.status


def _no_store(response):
    response.headers["Cache-Control"] = "private, no-store"
    return response


def _origin_label(draft: dict, versions: list[dict]) -> str:
    if draft.get("is_draft"):
        return _("草稿，%(when)s 保存", when=local_datetime(draft.get("updated_at")))
    if versions:
        return _("已发布的版本 %(version)s（尚无草稿；保存后成为草稿）", version=versions[0]["version"])
    return ""


def _require_known(key: str) -> dict:
    """The draft (or latest files) of a process that exists: a draft is never created for an unknown key."""
    return model_drafts.get_draft(db.session, current_actor(), key)


def _urls(key: str) -> dict:
    quoted = quote(key, safe="")
    return {
        "draft": url_for("modeler.draft_json", key=key),
        "validate": url_for("modeler.validate_json", key=key),
        "preview": url_for("modeler.preview_json", key=key),
        "deploy": url_for("modeler.deploy_json", key=key),
        "diff": url_for("modeler.diff_page", key=key),
        "form": f"/models/{quoted}/forms/__NAME__",
    }


# -- the modeler page ------------------------------------------------------------------------------
@page(modeler_bp, "/models/<key>/edit", roles=VIEWERS)
def edit(key: str):
    model_admin.require_viewer(current_actor())
    draft = _require_known(key)
    versions = _versions(key)
    quoted = quote(key, safe="")
    return render_template(
        "modeler/edit.html", key=key, draft=draft, versions=versions, can_edit=can_deploy(current_actor()),
        origin_label=_origin_label(draft, versions), labels=modeler_labels(), urls=_urls(key),
        models_url=url_for("model_pages.model_list"), dry_run_url=f"/models/{quoted}/dry-run",
        migrate_url=f"/models/{quoted}/migrate")


@page(modeler_bp, "/models/<key>/draft.json", roles=VIEWERS, endpoint="draft_json")
def draft_json(key: str):
    try:
        draft = _require_known(key)
    except DomainError as exc:
        return _json_error(exc)
    versions = _versions(key)
    return _no_store(jsonify({
        **draft, "latest_version": versions[0]["version"] if versions else None,
        "digests": {name: digest(text) for name, text in draft["files"].items()},
        "origin_label": _origin_label(draft, versions),
        "roles": {role: role_name(role) for role in LANE_ROLES},
        "stages": {code: stage_label(code) for code in STAGES if code != "closed"},
        "sample_start": clock.local(clock.now()).strftime("%Y-%m-%dT%H:%M"),
    }))


@page(modeler_bp, "/models/<key>/draft.json", methods=("PUT",), roles=VIEWERS, endpoint="save_draft")
def save_draft(key: str):
    """Body {files: {name: text} (the files the page changed), base: {name: digest as opened}, note}."""
    try:
        body = _body()
        changed, base, note = _files(body), _files(body, "base"), body.get("note", "")
        with write_transaction():
            current = _require_known(key)["files"]
            files = _merged(current, changed, base)
            problems = model_drafts.save_draft(engine_context(), current_actor(), key, files, note, _limit())
            saved_at = clock.now()
    except DomainError as exc:
        return _json_error(exc)
    return jsonify({"saved": True, "problems": _problem_dicts(problems),
                    "digests": {name: digest(text) for name, text in files.items()},
                    "saved_label": _("草稿，%(when)s 保存", when=local_datetime(saved_at))})


@page(modeler_bp, "/models/<key>/draft.json", methods=("DELETE",), roles=VIEWERS, endpoint="discard_draft")
def discard_draft(key: str):
    try:
        with write_transaction():
            model_drafts.discard_draft(engine_context(), current_actor(), key)
    except DomainError as exc:
        return _json_error(exc)
    return jsonify({"discarded": True})


@page(modeler_bp, "/models/<key>/validate.json", methods=("POST",), roles=VIEWERS, endpoint="validate_json")
def validate_json(key: str):
    """Lint the draft as it would be with the page's changed files (saved or not); nothing is stored."""
    try:
        changed = _files(_body())
        with read_snapshot():
            model_admin.require_viewer(current_actor())
            files = {**_require_known(key)["files"], **changed}
        problems = model_admin.validate_upload({n: t.encode("utf-8") for n, t in files.items()}, _limit())
    except DomainError as exc:
        return _json_error(exc)
    return jsonify({"valid": not problems, "problems": _problem_dicts(problems)})


@page(modeler_bp, "/models/<key>/deploy.json", methods=("POST",), roles=VIEWERS, endpoint="deploy_json")
def deploy_json(key: str):
    """Deploy the saved draft as new versions; a change note is required; any problem refuses it."""
    try:
        body = _body()
        note = body.get("change_note")
        if not isinstance(note, str) or not note.strip():
            raise InvalidSubmission({"change_note": [_("请填写变更说明")]})
        if len(note) > MAX_NOTE:
            raise InvalidSubmission({"change_note": [_("变更说明最多 %(n)s 字", n=MAX_NOTE)]})
        with write_transaction():
            results = model_drafts.deploy_draft(engine_context(), current_actor(), key, note.strip(), _limit())
    except DomainError as exc:
        return _json_error(exc)
    mine = next((r for r in results if r.key == key), None)
    if mine is None:  # the draft no longer holds this process as a root: report what was deployed
        mine = results[0]
    return jsonify({
        "key": mine.key, "version": mine.version, "created": mine.created, "definition_id": mine.definition_id,
        "versions": [{"key": r.key, "version": r.version, "created": r.created} for r in results],
        "origin_label": _("已发布的版本 %(version)s（尚无草稿；保存后成为草稿）", version=mine.version),
    }), (201 if mine.created else 200)


@page(modeler_bp, "/models/<key>/preview.json", methods=("POST",), roles=VIEWERS, endpoint="preview_json")
def preview_json(key: str):
    """A due rule's or a timer expression's due date for a sample start (and sample variables)."""
    try:
        body = _body()
    except DomainError as exc:
        return _json_error(exc)
    data = body.get("data") or {}
    if not isinstance(data, dict):
        data = {}
    with read_snapshot():
        ctx = engine_context()
        try:
            start = model_preview.parse_start(body.get("start"), ctx.now)
        except ValueError as exc:
            return jsonify({"ok": False, "error": str(exc), "variables": []})
        if body.get("what") == "timer":
            answer = model_preview.timer_preview(ctx, body.get("kind"), body.get("expression"), start, data)
        else:
            answer = model_preview.due_rule_preview(ctx, body.get("rule"), start, data)
    return jsonify(answer)


# -- the version diff ---------------------------------------------------------------------------------
def _version_files(key: str, version: int) -> dict[str, str]:
    row = model_admin.definition_row(db.session, key, version)
    return dict((row.files or {}).get("bpmn") or {})


def _file_of(files: dict[str, str], element_id: str) -> str | None:
    needle = f'id="{element_id}"'
    return next((name for name, text in sorted(files.items()) if needle in text), None)


def _name_in(files: dict[str, str], file: str | None, element_id: str) -> str | None:
    """The name attribute of the element's start tag in `file` (a rename shows old → new)."""
    tag = re.search(rf'<[\w:]+\s[^>]*\bid="{re.escape(element_id)}"[^>]*>', files.get(file or "", ""))
    name = re.search(r'\bname="([^"]*)"', tag.group(0)) if tag else None
    return html.unescape(name.group(1)) if name else None


def _process_titles(files: dict[str, str]) -> dict[str, str]:
    titles = {}
    for name, text in files.items():
        match = re.search(r"<(?:\w+:)?process\b[^>]*\bname=\"([^\"]+)\"", text)
        titles[name] = match.group(1) if match else name
    return titles


def _diff(key: str, old: int, new: int) -> dict:
    result = model_admin.version_diff(db.session, key, old, new)
    files_from, files_to = _version_files(key, old), _version_files(key, new)
    changes = []
    for status in ("added", "removed", "changed"):
        for item in result[status]:
            if status == "removed":
                file = _file_of(files_from, item["element_id"])
            else:
                file = (_file_of(files_to, item.get("new_element_id") or item["element_id"])
                        or _file_of(files_from, item["element_id"]))
            changes.append({
                "status": status, "element_id": item["element_id"], "new_element_id": item.get("new_element_id"),
                "name": item["name"], "kind": item["kind"],
                "new_name": (_name_in(files_to, file, item.get("new_element_id") or item["element_id"])
                             if status == "changed" else None), "kind_label": spec_kind_label(item["kind"]),
                "process_id": item["process_id"],
                "file": file,
                "attributes": item["attributes"], "attribute_labels": [attribute_label(a) for a in item["attributes"]],
            })
    main_file = next((n for n, t in sorted(files_to.items()) if re.search(rf'<(?:\w+:)?process\b[^>]*\bid="{re.escape(key)}"', t)),
                     None)
    return {"key": key, "from_version": result["from_version"], "to_version": result["to_version"],
            "files_from": files_from, "files_to": files_to, "changes": changes, "main_file": main_file,
            "titles": {**_process_titles(files_from), **_process_titles(files_to)},
            "added_processes": result["added_processes"], "removed_processes": result["removed_processes"]}


def _diff_versions(versions: list[dict]) -> tuple[int | None, int | None]:
    """?from=&to= as numbers; by default the latest version against the one before it."""
    numbers = [v["version"] for v in versions]
    try:
        new = int(request.args.get("to") or (numbers[0] if numbers else 0))
        old = int(request.args.get("from") or (new - 1))
    except ValueError:
        abort(404)
    return old, new


@page(modeler_bp, "/models/<key>/diff", roles=VIEWERS, endpoint="diff_page")
def diff_page(key: str):
    model_admin.require_viewer(current_actor())
    versions = _versions(key)
    if not versions:
        raise NotFound(f"no process {key!r}")
    old, new = _diff_versions(versions)
    known = {v["version"] for v in versions}
    diff = _diff(key, old, new) if old in known and new in known and old != new else None
    return render_template("modeler/diff.html", key=key, versions=versions, old=old, new=new, diff=diff,
                           labels=diff_labels(), models_url=url_for("model_pages.model_list"),
                           can_edit=can_deploy(current_actor()))


@page(modeler_bp, "/models/<key>/diff.json", roles=VIEWERS, endpoint="diff_json")
def diff_json(key: str):
    try:
        model_admin.require_viewer(current_actor())
        versions = _versions(key)
        if not versions:
            raise NotFound(key)
        old, new = _diff_versions(versions)
        return _no_store(jsonify(_diff(key, old, new)))
    except DomainError as exc:
        return _json_error(exc)
