"""Process owners' models page: every process with its deployed versions (who, when, sha256, change
note, running cases on each) and its draft (saved when, by whom, how many problems); files uploaded
into a draft; the dry run of a draft, stepped through in the browser.

Administrators see everything read-only; only process owners change a draft (the services refuse
anyone else). The modeler, the version diff and the migration pages belong to other blueprints and
are linked by URL."""
from __future__ import annotations

import json

from flask import Blueprint, current_app, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from sqlalchemy import select

from app import clock
from app.db import db
from app.errors import DefinitionInvalid, InvalidSubmission, Problem
from app.models import ModelDraft, User
from app.services import model_admin, model_drafts
from app.task_forms import collect_errors, coerce, load_form
from app.web import dry_run_state
from app.web.draft_upload import read_uploads, upload_into_draft
from app.web.form_state import values_from_request
from app.web.form_texts import form_files, parse_json_object
from app.web.i18n import current_locale
from app.web.pages import current_actor, engine_context, page, read_snapshot, write_transaction
from app.web.staff_labels import register_staff_labels
from app.web.task_views import org_options

model_pages_bp = Blueprint("model_pages", __name__)
model_pages_bp.record_once(lambda state: register_staff_labels(state.app))

VIEWERS = ("process_owner", "admin")
UPLOAD_FIELD = "files"


def _settings():
    return current_app.extensions["lvyue.settings"]


def _as_bytes(texts: dict[str, str]) -> dict[str, bytes]:
    return {name: text.encode("utf-8") for name, text in texts.items()}


def _is_owner() -> bool:
    return current_actor().role == "process_owner"


# -- the models page -----------------------------------------------------------------------------

def _drafts() -> dict[str, dict]:
    rows = db.session.execute(
        select(ModelDraft, User.display_name, User.username).outerjoin(User, User.id == ModelDraft.updated_by_id)
        .order_by(ModelDraft.key)).all()
    limit = _settings().max_upload_bytes
    return {draft.key: {"updated_at": draft.updated_at, "updated_by": display or username or "", "note": draft.note,
                        "files": draft.files, "problems": model_admin.validate_upload(_as_bytes(draft.files), limit)}
            for draft, display, username in rows}


def _processes() -> list[dict]:
    actor = current_actor()
    drafts = _drafts()
    listing = model_admin.list_processes(db.session)
    keys = sorted({p["key"] for p in listing} | set(drafts), key=lambda k: (k.lower(), k))
    by_key = {p["key"]: p for p in listing}
    out = []
    for key in keys:
        entry = by_key.get(key) or {"key": key, "latest_version": None, "versions": [], "running_cases": 0}
        draft = drafts.get(key)
        files = draft["files"] if draft else model_drafts.get_draft(db.session, actor, key)["files"]
        out.append({**entry, "draft": draft, "forms": form_files(files),
                    "bpmn_files": sorted(n for n in files if n.endswith((".bpmn", ".dmn")))})
    return out


def render_model_list(status: int = 200, upload_problems: dict | None = None, new_form: dict | None = None):
    """The models page; `upload_problems` {key: [Problem]} for a refused upload, `new_form`
    {key, name, title, error} for a new form that could not be created."""
    return render_template("model_pages/list.html", processes=_processes(), can_change=_is_owner(),
                           upload_problems=upload_problems or {}, new_form=new_form or {},
                           max_upload_bytes=_settings().max_upload_bytes), status


@page(model_pages_bp, "/models", roles=VIEWERS)
def model_list():
    model_admin.require_viewer(current_actor())
    return render_model_list()


@page(model_pages_bp, "/models/<key>/upload", methods=("POST",), roles=VIEWERS)
def upload(key: str):
    actor = current_actor()
    model_admin.require_owner(actor)
    limit = _settings().max_upload_bytes
    try:
        uploads = read_uploads(request.files, UPLOAD_FIELD, limit)
    except InvalidSubmission as exc:
        with read_snapshot():
            return render_model_list(422, upload_problems={key: [Problem(message=m, code="file")
                                                                  for m in exc.errors.get(UPLOAD_FIELD, [])]})
    with write_transaction():
        outcome = upload_into_draft(engine_context(), actor, key, uploads, limit)
    if outcome.refused:
        with read_snapshot():
            return render_model_list(422, upload_problems={key: outcome.refused})
    names = _("、").join(outcome.saved)
    if outcome.problems:
        flash(_("已将 %(files)s 保存到「%(key)s」的草稿。草稿现有 %(n)s 个问题，部署前需要解决。",
                files=names, key=key, n=len(outcome.problems)), "warning")
    else:
        flash(_("已将 %(files)s 保存到「%(key)s」的草稿，草稿检查无问题。", files=names, key=key), "success")
    return redirect(url_for("model_pages.model_list") + f"#process-{key}")


# -- the dry run ---------------------------------------------------------------------------------

def _draft_files(key: str) -> dict:
    return model_drafts.get_draft(db.session, current_actor(), key)


def _forms(files: dict[str, str]) -> dict[str, dict]:
    """The draft's form files that parse as JSON objects (the others are the draft's problems)."""
    out = {}
    for name, text in files.items():
        if name.endswith(".json"):
            value, problem = parse_json_object(text, name, _settings().max_upload_bytes)
            if problem is None:
                out[name] = value
    return out


def _task_form(forms: dict[str, dict], task: dict):
    schema_file = (task.get("properties") or {}).get("formJsonSchemaFilename") or ""
    schema = forms.get(schema_file)
    if schema is None:
        return None
    try:
        return load_form(schema, forms.get(schema_file.replace(".schema.json", ".ui.json")) or {})
    except Exception:  # noqa: BLE001 - an undrawable form is listed among the draft's problems
        return None


def _timer_steps() -> bool:
    """Whether model_admin.dry_run accepts {"fire_timer": element id} steps (see its docstring)."""
    return bool(getattr(model_admin, "DRY_RUN_TIMER_STEPS", False))


def _render_dry_run(key: str, draft: dict, *, sample_text: str, status: int = 200, sample_error=None,
                    run: dict | None = None, steps: list | None = None, sample: dict | None = None,
                    values: dict | None = None, errors: dict | None = None, error_task: str = "",
                    model_problems: list | None = None, message: str = "", failed: dict | None = None):
    forms = _forms(draft["files"])
    state = None
    task_forms = {}
    path = []
    if run is not None:
        snapshots = run["steps"]
        state = snapshots[-1] if snapshots else None
        for task in (state or {}).get("ready_tasks", []):
            task_forms[task["task"]] = _task_form(forms, task)
        path = dry_run_state.path_so_far(steps or [], snapshots, run.get("error"), failed)
    token = dry_run_state.sign_run(_settings().secret_key, key, sample or {}, steps or []) if run is not None else ""
    return render_template(
        "model_pages/dry_run.html", key=key, draft=draft, sample_text=sample_text, sample_error=sample_error,
        run=run, state=state, path=path, task_forms=task_forms, token=token, values=values or {},
        errors=errors or {}, error_task=error_task, model_problems=model_problems or [], message=message,
        timer_steps=_timer_steps(), orgs=org_options(), max_upload_bytes=_settings().max_upload_bytes,
        data_text=json.dumps((state or {}).get("data", {}), ensure_ascii=False, indent=2, sort_keys=True),
    ), status


@page(model_pages_bp, "/models/<key>/dry-run", roles=VIEWERS)
def dry_run(key: str):
    model_admin.require_viewer(current_actor())
    draft = _draft_files(key)
    sample = dry_run_state.sample_data(key, engine_context().directory, clock.now())
    return _render_dry_run(key, draft, sample_text=json.dumps(sample, ensure_ascii=False, indent=2))


def _file_names(form, files) -> dict:
    """A dry run stores nothing: a file field's value is the chosen files' names."""
    out = {}
    for spec in form.iter_fields():
        if spec.widget == "file" and "*" not in spec.name:
            names = [f.filename for f in files.getlist(spec.name) if f.filename]
            if names:
                out[spec.name] = names if spec.multiple else names[0]
    return out


def _put(data: dict, dotted: str, value) -> None:
    parts = dotted.split(".")
    for part in parts[:-1]:
        data = data.setdefault(part, {})
    data[parts[-1]] = value


@page(model_pages_bp, "/models/<key>/dry-run", methods=("POST",), roles=VIEWERS, endpoint="dry_run_step")
def dry_run_step(key: str):
    actor = current_actor()
    model_admin.require_viewer(actor)
    settings = _settings()
    action = request.form.get("action") or "start"
    with read_snapshot():
        draft = _draft_files(key)
        if action == "start":
            sample_text = request.form.get("sample") or ""
            sample, problem = parse_json_object(sample_text, "sample", settings.max_upload_bytes)
            if problem is not None:
                return _render_dry_run(key, draft, sample_text=sample_text, sample_error=problem, status=422)
            steps: list[dict] = []
        else:
            carried = dry_run_state.read_run(settings.secret_key, key, request.form.get("run"))
            if carried is None:
                sample = dry_run_state.sample_data(key, engine_context().directory, clock.now())
                return _render_dry_run(key, draft, sample_text=json.dumps(sample, ensure_ascii=False, indent=2),
                                       status=400, message=_("试运行记录已失效（页面停留过久或内容被改动），请重新开始。"))
            sample, steps = carried
            sample_text = json.dumps(sample, ensure_ascii=False, indent=2)
        new_step, form, values, data = None, None, {}, {}
        if action == "complete":
            element = request.form.get("task") or ""
            schema_file = request.form.get("form") or ""
            forms = _forms(draft["files"])
            form = _task_form(forms, {"properties": {"formJsonSchemaFilename": schema_file}})
            if form is not None:
                values = values_from_request(form, request.form)
                data = coerce(form, request.form)
                for name, value in _file_names(form, request.files).items():
                    _put(data, name, value)
            new_step = {"task": element, "data": data}
        elif action == "fire_timer" and _timer_steps():
            new_step = {"fire_timer": request.form.get("timer") or ""}
        elif action == "undo":
            steps = steps[:-1]
        todo = steps + ([new_step] if new_step else [])
        ctx = engine_context()
        try:
            run = model_admin.dry_run(ctx, _as_bytes(draft["files"]), key, sample, todo, settings.max_upload_bytes)
        except DefinitionInvalid as exc:
            return _render_dry_run(key, draft, sample_text=sample_text, status=422, model_problems=exc.problems,
                                   message=_("草稿无法解析，不能试运行。请先解决下列问题。"))
        except InvalidSubmission as exc:
            detail = "; ".join(f"{k}: {' '.join(v)}" for k, v in exc.errors.items())
            return _render_dry_run(key, draft, sample_text=sample_text, status=422,
                                   message=_("无法开始试运行：%(detail)s", detail=detail))
        error = run["error"]
        if error is None:
            return _render_dry_run(key, draft, sample_text=sample_text, run=run, steps=todo, sample=sample)
        if new_step and "task" in new_step and error["step"] == len(todo) and error["error"] == "InvalidSubmission":
            # the form was filled in wrongly: the run stays where it was, the form shows its errors
            schema = _forms(draft["files"]).get(request.form.get("form") or "")
            errors = error.get("errors") or {}
            if schema is not None:
                errors = collect_errors(schema, data, locale=current_locale(), org_codes=set(ctx.directory.by_code)) or errors
            run["error"] = None
            return _render_dry_run(key, draft, sample_text=sample_text, run=run, steps=steps, sample=sample,
                                   values=values, errors=errors, error_task=new_step["task"], status=422)
        # the run failed at a step (an endless script, a broken expression, a task not ready): show
        # it with the element; the steps that worked are kept, so the run goes on from before it
        done = todo[: error["step"] - 1] if error["step"] > 0 else []
        failed = todo[error["step"] - 1] if 0 < error["step"] <= len(todo) else None
        return _render_dry_run(key, draft, sample_text=sample_text, run=run, steps=done, sample=sample, failed=failed)
