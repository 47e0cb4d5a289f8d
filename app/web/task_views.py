"""The task page: case summary, instructions, deadline, the task's JSON-Schema form and, beside it,
the case timeline, attachments, internal notes, the diagram, claim/unclaim and the actions the
model allows (extension request; returning a misrouted referral).

A submit is one write transaction (files stored as attachments of the task, then
`tasks.complete_task`). Field errors come back as 422 with every value kept; a task that someone
else finished, that was cancelled or that someone else claimed meanwhile comes back as 409 with a
clear message and what the user typed shown read-only, so nothing typed is lost."""
from __future__ import annotations

from flask import Blueprint, current_app, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _

from app import clock
from app.db import db
from app.errors import (CalendarNotCovered, Conflict, InvalidSubmission, NotAllowed, NotFound, ProcessError,
                        TaskNotAvailable)
from app.models import Case, ReadyTask, TaskLog
from app.policy import can_act_on_task
from app.queries.case_page import case_page, ended_task, ended_task_form, task_view
from app.services import claims, extensions
from app.services import tasks as task_service
from app.services.attachments import store_attachments
from app.services.case_notes import add_note
from app.services.reference_cache import reference_data
from app.task_forms import FormSpec, coerce, load_form, validate
from app.web.form_state import values_from_request
from app.web.i18n import current_locale
from app.web.pages import current_actor, engine_context, page, read_snapshot, safe_next, write_transaction
from app.web.staff_labels import region_label, register_staff_labels, task_name
from app.web.template_helpers import local_datetime
from app.web.uploads import kept_names, put_values, read_file_fields

tasks_bp = Blueprint("tasks", __name__)
tasks_bp.record_once(lambda state: register_staff_labels(state.app))

RETURN_ACTION = "return_referral"


def _settings():
    return current_app.extensions["lvyue.settings"]


def _form(schema: dict | None, ui: dict | None) -> FormSpec:
    return load_form(schema or {"type": "object", "properties": {}}, ui or {})


def org_options() -> list[dict]:
    """The org directory for the form's org pickers: {code, name, region_name, kind}."""
    directory, _calendar = reference_data(db.session)
    return [{"code": e.code, "name": e.name, "region_name": region_label(e.region_code), "kind": e.kind}
            for e in sorted(directory.by_id.values(), key=lambda e: (e.region_code, e.level != "city", e.code))]


def return_action(form: FormSpec) -> bool:
    """The model lets this task send a misrouted referral back: a `referral_decision` with the
    choice `return` and a `return_reason` field (receive_referral)."""
    try:
        decision, reason = form.field("referral_decision"), form.field("return_reason")
    except KeyError:
        return False
    return reason is not None and any(value == "return" for value, _label in decision.choices)


def _render(task_id: str, *, values=None, errors=None, status: int = 200, note_body: str = "", note_errors=None,
            extension_values=None, extension_errors=None, action: str | None = None, kept=None,
            form_error: str | None = None):
    actor = current_actor()
    now = clock.now()
    view = task_view(db.session, actor, now, task_id)
    form = _form(view.schema, view.ui)
    overview = case_page(db.session, actor, now, view.case) if view.case is not None else None
    errors = errors or {}
    return render_template(
        "tasks/task.html", view=view, task=view.task, case=view.case, form=form, values=values or {},
        errors=errors, overview=overview, note_body=note_body, note_errors=note_errors or {},
        extension_values=extension_values or {}, extension_errors=extension_errors or {},
        max_extension=_settings().extension_max_workdays, has_return=return_action(form), action=action,
        kept=kept or {}, form_error=form_error, org_options=org_options(),
        max_upload_bytes=_settings().max_upload_bytes,
    ), status


@page(tasks_bp, "/tasks/<task_id>")
def task_page(task_id: str):
    actor = current_actor()
    try:
        return _render(task_id)
    except NotFound:
        entry = ended_task(db.session, actor, task_id)
        if entry is None:
            raise
        case = db.session.get(Case, entry.case_id) if entry.case_id else None
        return render_template("tasks/ended.html", entry=entry, case=case)


@page(tasks_bp, "/tasks/<task_id>", methods=("POST",), endpoint="complete")
def complete(task_id: str):
    actor = current_actor()
    locale = current_locale()
    settings = _settings()
    with read_snapshot():
        try:
            view = task_view(db.session, actor, clock.now(), task_id)
            schema, ui, case_id, task_label = view.schema, view.ui, view.task.case_id, view.task.name
        except NotFound:
            entry = ended_task(db.session, actor, task_id)
            if entry is None:
                raise
            schema, ui = ended_task_form(db.session, entry)
            form = _form(schema, ui)
            return _stale(entry.task_id, form, coerce(form, request.form), _ended_message(entry), entry.case_id)
        form = _form(schema, ui)
        org_codes = set(engine_context().directory.by_code)
    action = request.form.get("_action") or None
    values = values_from_request(form, request.form)
    data = coerce(form, request.form)
    files = read_file_fields(form, request.files, request.form, storage_dir=settings.attachments_path,
                             secret_key=settings.secret_key, max_bytes=settings.max_upload_bytes, locale=locale)
    put_values(data, files.values)
    if files.errors:
        errors = dict(files.errors)
        try:
            validate(schema or {}, data, locale=locale, org_codes=org_codes)
        except InvalidSubmission as exc:
            for key, messages in exc.errors.items():
                errors.setdefault(key, messages)
        with read_snapshot():
            return _render(task_id, values=values, errors=errors, status=422, action=action, kept=files.kept)
    try:
        with write_transaction():
            ctx = engine_context()
            if files.uploads and case_id is not None:
                store_attachments(db.session, settings.attachments_path, ctx.now, actor, case_id, files.uploads,
                                  task_id=task_id)
            loaded = task_service.complete_task(ctx, actor, task_id, data, locale=locale)
            next_task = _next_task_for(actor, loaded.ready_rows.values(), case_id)
    except InvalidSubmission as exc:
        with read_snapshot():
            return _render(task_id, values=values, errors=exc.errors, status=422, action=action, kept=files.kept)
    except CalendarNotCovered as exc:
        with read_snapshot():
            return _render(task_id, values=values, status=422, action=action, kept=files.kept,
                           form_error=_("无法计算办理期限：工作日历尚未加载%(year)s年的节假日安排。请联系系统管理员在“工作日历”页面"
                                        "加载后再提交。本次提交未保存，您填写的内容仍在下方。", year=exc.year))
    except ProcessError:
        with read_snapshot():
            return _render(task_id, values=values, status=422, action=action, kept=files.kept,
                           form_error=_("办理流程执行出错，本次提交已全部撤销，未保存任何内容。请核对填写内容后重试，"
                                        "如仍失败请联系流程管理人员。"))
    except (TaskNotAvailable, NotAllowed) as exc:
        with read_snapshot():
            entry = ended_task(db.session, actor, task_id)
            if isinstance(exc, NotAllowed):
                message = _("提交未成功：该任务已由他人认领，只有认领人可以办理提交。")
                holder = exc.details.get("holder")
                if holder:
                    message = _("提交未成功：该任务已由%(holder)s认领，只有认领人可以办理提交。", holder=holder)
            elif entry is not None:
                message = _ended_message(entry)
            else:
                message = _("提交未成功：该任务已不可办理。")
            return _stale(task_id, form, data, message, case_id, kept=kept_names(files.kept))
    flash(_("已提交「%(task)s」。", task=task_name(task_label)), "success")
    if next_task is not None:
        return redirect(url_for("tasks.task_page", task_id=next_task))
    return redirect(url_for("inbox.inbox"))


def _next_task_for(actor, ready, case_id) -> str | None:
    """The task of the same case the step left for this user's role and org (e.g. verify after
    receive_referral), so they can go on; None: back to the inbox."""
    for task in sorted(ready, key=lambda t: (t.created_at, t.id)):
        if task.case_id == case_id and can_act_on_task(actor, task):
            return task.id
    return None


def _ended_message(entry) -> str:
    if entry.state == "cancelled":
        return _("提交未成功：该任务已因期限到达、投诉人撤回或改派等原因取消。")
    return _("提交未成功：该任务已由%(who)s于%(when)s办理完毕。", who=entry.completed_by_label,
             when=_local(entry.completed_at))


def _local(moment) -> str:
    return local_datetime(clock.as_utc(moment))


def _stale(task_id: str, form: FormSpec, data: dict, message: str, case_id, kept=None):
    case = db.session.get(Case, case_id) if case_id else None
    return render_template("tasks/stale.html", task_id=task_id, form=form, data=data, message=message,
                           case=case, kept=kept or {}), 409


# -- claim / unclaim ---------------------------------------------------------------------------------

def _back(task_id: str) -> str:
    return safe_next(request.form.get("next"), url_for("tasks.task_page", task_id=task_id))


def _gone(task_id: str):
    """A claim or release on a task that has left the ready list: say so and go back (404 for
    those who never could see it)."""
    with read_snapshot():
        entry = ended_task(db.session, current_actor(), task_id)
    if entry is None:
        raise NotFound("task not found")
    flash(_("该任务已办结或已取消，无需认领。"), "warning")
    return redirect(_back(task_id))


@page(tasks_bp, "/tasks/<task_id>/claim", methods=("POST",))
def claim(task_id: str):
    try:
        with write_transaction():
            task = claims.claim_task(db.session, clock.now(), current_actor(), task_id, locale=current_locale())
            name = task.name
    except NotFound:
        return _gone(task_id)
    except Conflict as exc:
        holder = exc.details.get("holder")
        flash(_("认领未成功：该任务已由%(holder)s认领。", holder=holder) if holder
              else _("认领未成功：该任务已被他人认领。"), "warning")
        return redirect(_back(task_id))
    flash(_("已认领「%(task)s」。其他同事仍可查看，但只有您可以办理提交。", task=task_name(name)), "success")
    return redirect(_back(task_id))


@page(tasks_bp, "/tasks/<task_id>/unclaim", methods=("POST",))
def unclaim(task_id: str):
    try:
        with write_transaction():
            task = claims.unclaim_task(db.session, clock.now(), current_actor(), task_id, locale=current_locale())
            name = task.name
    except NotFound:
        return _gone(task_id)
    except NotAllowed as exc:
        holder = exc.details.get("holder")
        flash(_("无法释放：该任务由%(holder)s认领，只有本人或本地区督办人员可以释放。", holder=holder) if holder
              else _("无法释放：只有认领人本人或本地区督办人员可以释放。"), "warning")
        return redirect(_back(task_id))
    flash(_("已释放「%(task)s」的认领。", task=task_name(name)), "success")
    return redirect(_back(task_id))


# -- internal notes and extension requests -----------------------------------------------------------

@page(tasks_bp, "/tasks/<task_id>/notes", methods=("POST",))
def add_task_note(task_id: str):
    actor = current_actor()
    body = request.form.get("body") or ""
    try:
        with write_transaction():
            task = db.session.get(ReadyTask, task_id) or ended_task(db.session, actor, task_id)
            case = db.session.get(Case, task.case_id) if task is not None and task.case_id else None
            if task is None or case is None:
                raise NotFound("task not found")
            add_note(db.session, clock.now(), actor, case, body, task_id=task.task_id if isinstance(task, TaskLog)
                     else task.id, locale=current_locale())
    except InvalidSubmission as exc:
        with read_snapshot():
            return _render(task_id, status=422, note_body=body, note_errors=exc.errors)
    flash(_("备注已添加。"), "success")
    return redirect(url_for("tasks.task_page", task_id=task_id) + "#notes")


def _workdays(text: str, maximum: int) -> int | None:
    text = (text or "").strip()
    if not text.isdigit():
        return None
    value = int(text)
    return value if 1 <= value <= maximum else None


@page(tasks_bp, "/tasks/<task_id>/extension", methods=("POST",))
def request_extension(task_id: str):
    actor = current_actor()
    settings = _settings()
    raw_days, reason = request.form.get("workdays") or "", (request.form.get("reason") or "").strip()
    entered = {"workdays": raw_days, "reason": reason}
    errors: dict[str, list[str]] = {}
    workdays = _workdays(raw_days, settings.extension_max_workdays)
    if workdays is None:
        errors["workdays"] = [_("请填写 1 到 %(max)s 之间的整数（工作日）。", max=settings.extension_max_workdays)]
    if not reason:
        errors["reason"] = [_("请说明申请延期的理由。")]
    elif len(reason) > 2000:
        errors["reason"] = [_("理由最多 2000 个字符。")]
    if errors:
        with read_snapshot():
            return _render(task_id, status=422, extension_values=entered, extension_errors=errors)
    try:
        with write_transaction():
            extensions.request_extension(engine_context(), actor, task_id, workdays, reason,
                                         max_workdays=settings.extension_max_workdays)
    except InvalidSubmission:
        with read_snapshot():
            return _render(task_id, status=422, extension_values=entered,
                           extension_errors={"reason": [_("请检查延期天数和理由。")]})
    except (Conflict, NotAllowed):
        flash(_("延期申请未提交：该任务已申请或已批准过延期，或其期限不能在此延长。"), "warning")
        return redirect(url_for("tasks.task_page", task_id=task_id))
    flash(_("已提交延期申请（%(n)s 个工作日），等待信用办审批。", n=workdays), "success")
    return redirect(url_for("tasks.task_page", task_id=task_id))
