"""Supervision actions on the staff pages: 催办/督办 by hand with a reply deadline, the addressed
org's reply, extension decisions (also listed at /desk/extensions) and the reassignment of a
misrouted case.

Every action is a POST that runs its service in one write transaction and, on success, returns to
the page the form was on (`origin`: the task page, the case page or the extensions page) with a
flash message. A refusal re-renders that page with the form open, what was typed kept, the field
errors and the reason in words (422 bad input, 409 stale state); when that page can no longer show
the form (the task was finished meanwhile) or the policy refuses (403), a small page says why and
shows what was typed. The task and case pages belong to their own views: they are re-rendered
through their endpoints, and the forms come from the includes in templates/supervision/."""
from __future__ import annotations

from dataclasses import dataclass

from flask import Blueprint, current_app, flash, make_response, redirect, render_template, request, url_for
from flask_babel import gettext as _

from app import clock
from app.db import db
from app.errors import CalendarNotCovered, Conflict, InvalidSubmission, NotAllowed, NotFound
from app.models import Case, Escalation, ExtensionRequest, ReadyTask
from app.policy import can_view_case
from app.queries.case_page import ended_task, visible
from app.queries.cases import case_by_no
from app.services import extensions, reassignment, supervision_orders
from app.services.supervision_orders import KINDS, MAX_REPLY_WORKDAYS
from app.web.pages import current_actor, engine_context, page, read_snapshot, write_transaction
from app.web.staff_labels import org_label, register_staff_labels, task_name
from app.web.supervision_panels import (KeptForm, keep_form, order_kind_label, pending_extensions_of_region,
                                        recent_decisions_of_region, register_supervision_panels)
from app.web.template_helpers import local_datetime

supervise_bp = Blueprint("supervise", __name__)


def _register(state) -> None:
    register_staff_labels(state.app)
    register_supervision_panels(state.app)


supervise_bp.record_once(_register)

MAX_TEXT = 2000
DESK_ROLES = ("supervisor", "admin")


# -- where the user came from ------------------------------------------------------------------------

@dataclass(frozen=True)
class Place:
    kind: str  # task | case | desk
    task_id: str | None = None
    case_no: str | None = None

    def url(self, anchor: str = "") -> str:
        if self.kind == "task":
            url = url_for("tasks.task_page", task_id=self.task_id)
        elif self.kind == "case":
            url = url_for("cases.case_page", case_no=self.case_no)
        else:
            url = url_for("supervise.extension_list")
        return url + (f"#{anchor}" if anchor else "")


def _origin(default: str, allowed: tuple[str, ...] = ("task", "case", "desk")) -> str:
    origin = request.form.get("origin")
    return origin if origin in allowed else default


def _places(origin: str, task_id: str | None, case_no: str | None) -> list[Place]:
    """The page the form was on first, then the pages that also show it."""
    order = {"task": ("task", "case"), "case": ("case",), "desk": ("desk", "case")}[origin]
    places = []
    for kind in order:
        if kind == "task" and task_id:
            places.append(Place("task", task_id=task_id))
        elif kind == "case" and case_no:
            places.append(Place("case", case_no=case_no))
        elif kind == "desk":
            places.append(Place("desk"))
    return places


def _landing(places: list[Place]) -> Place:
    """Where a successful action returns: the page the form was on, unless that was a task page and
    the task has left the ready list meanwhile (then the next place, e.g. the case page)."""
    with read_snapshot():
        for place in places:
            if place.kind != "task" or db.session.get(ReadyTask, place.task_id) is not None:
                return place
    return places[-1]


def _render_place(place: Place):
    """The page re-rendered through its own view (inside the caller's read snapshot); None when it
    cannot show the form any more."""
    view_functions = current_app.view_functions
    try:
        if place.kind == "task":
            if db.session.get(ReadyTask, place.task_id) is None:
                return None
            return make_response(view_functions["tasks.task_page"](task_id=place.task_id))
        if place.kind == "case":
            return make_response(view_functions["cases.case_page"](case_no=place.case_no))
        if current_actor().role in DESK_ROLES:
            return make_response(_extension_page())
    except NotFound:
        return None
    return None


def _refuse(kept: KeptForm, status: int, places: list[Place], typed: list[tuple[str, str]], back: Place | None):
    """Re-render the first page that can show the kept form; else the small 'not saved' page."""
    keep_form(kept)
    if kept.message:
        flash(kept.message, "warning")
    with read_snapshot():
        for place in places:
            response = _render_place(place)
            if response is not None:
                response.status_code = status
                return response
        html = render_template("supervision/refused.html", kept=kept, typed=[(k, v) for k, v in typed if v],
                               back_url=back.url() if back else url_for("inbox.inbox"))
        return make_response(html, status)


def _whole_number(text: str, low: int, high: int) -> int | None:
    text = (text or "").strip()
    if not text.isdigit():
        return None
    value = int(text)
    return value if low <= value <= high else None


def _text_error(errors: dict, name: str, value: str, *, required: str | None, too_long: str) -> None:
    if required and not value.strip():
        errors[name] = [required]
    elif len(value) > MAX_TEXT:
        errors[name] = [too_long]


def _field_errors(exc: InvalidSubmission, messages: dict[str, str]) -> dict[str, list[str]]:
    """A service's field errors (English, for the API) in the page's words."""
    return {name: [messages.get(name, _("请检查此项。"))] for name in exc.errors}


def _not_saved() -> str:
    return _("未保存：请按提示修改后重新提交。")


# -- 催办 / 督办 ------------------------------------------------------------------------------------------

def _order_typed(values: dict) -> list[tuple[str, str]]:
    kind = dict((value, order_kind_label(stored)) for value, stored in KINDS.items()).get(values["kind"], "")
    return [(_("类型"), kind), (_("回复期限（工作日）"), values["reply_workdays"]), (_("督办要求"), values["note"])]


@page(supervise_bp, "/supervise/tasks/<task_id>/orders", methods=("POST",))
def send_order(task_id: str):
    actor = current_actor()
    values = {"kind": request.form.get("kind") or "", "reply_workdays": (request.form.get("reply_workdays") or "").strip(),
              "note": (request.form.get("note") or "").strip()}
    key, places, back = f"order:{task_id}", [Place("task", task_id=task_id)], Place("task", task_id=task_id)
    with read_snapshot():
        task = db.session.get(ReadyTask, task_id)
        case = db.session.get(Case, task.case_id) if task is not None and task.case_id else None
        open_and_visible = task is not None and visible(actor, task, case)
    if not open_and_visible:
        return _task_gone(actor, task_id, KeptForm(key, values), _order_typed(values))
    errors: dict[str, list[str]] = {}
    if values["kind"] not in KINDS:
        errors["kind"] = [_("请选择催办或督办。")]
    days = _whole_number(values["reply_workdays"], 1, MAX_REPLY_WORKDAYS)
    if days is None:
        errors["reply_workdays"] = [_("请填写 1 到 %(max)s 之间的整数（工作日）。", max=MAX_REPLY_WORKDAYS)]
    _text_error(errors, "note", values["note"], required=None, too_long=_("督办要求最多 2000 个字符。"))
    if errors:
        return _refuse(KeptForm(key, values, errors, _not_saved()), 422, places, _order_typed(values), back)
    try:
        with write_transaction():
            ctx = engine_context()
            order = supervision_orders.send_order(ctx, actor, task_id, values["kind"], days, values["note"])
            sent = {"org": org_label(ctx.directory.by_id[order.org_id].name), "kind": order_kind_label(order.kind),
                    "due": local_datetime(clock.as_utc(order.reply_due_at), with_time=False)}
    except NotFound:
        return _task_gone(actor, task_id, KeptForm(key, values), _order_typed(values))
    except NotAllowed:
        return _refuse(KeptForm(key, values, {}, _("只有案件所在地区的信用办督办人员可以发出催办或督办。")), 403, [],
                       _order_typed(values), back)
    except Conflict:
        return _refuse(KeptForm(key, values, {}, _("该任务正在等待投诉人办理，不针对任何单位，不能催办或督办。")), 409,
                       [], _order_typed(values), back)
    except CalendarNotCovered:
        return _refuse(KeptForm(key, values, {"reply_workdays": [_("工作日历尚未覆盖回复期限所在年度，请联系管理员载入日历后再发。")]},
                                _not_saved()), 422, places, _order_typed(values), back)
    except InvalidSubmission as exc:
        errors = _field_errors(exc, {"kind": _("请选择催办或督办。"), "note": _("督办要求最多 2000 个字符。"),
                                     "reply_workdays": _("请填写 1 到 %(max)s 之间的整数（工作日）。", max=MAX_REPLY_WORKDAYS)})
        return _refuse(KeptForm(key, values, errors, _not_saved()), 422, places, _order_typed(values), back)
    flash(_("已向%(org)s发出%(kind)s，请其于 %(due)s 前回复。", **sent), "success")
    return redirect(back.url("supervision-orders"))


def _task_gone(actor, task_id: str, kept: KeptForm, typed: list[tuple[str, str]]):
    """The task left the ready list (finished or cancelled): 409 with what was typed; 404 for
    someone who never could see it."""
    with read_snapshot():
        entry = ended_task(db.session, actor, task_id)
        case = db.session.get(Case, entry.case_id) if entry is not None and entry.case_id else None
        case_no = case.case_no if case is not None else None
    if entry is None:
        raise NotFound("task not found")
    kept.message = _("该任务已办结或已取消，催办/督办未发出。")
    return _refuse(kept, 409, [], typed, Place("case", case_no=case_no) if case_no else None)


def _order_facts(order_id: int) -> tuple[str, str, str]:
    """(task id, case number, stored kind) of an order, for the way back; 404 when unknown or the
    case is not the caller's to see."""
    actor = current_actor()
    with read_snapshot():
        row = db.session.get(Escalation, order_id)
        case = db.session.get(Case, row.case_id) if row is not None and row.case_id else None
        if row is None or case is None or not can_view_case(actor, case):
            raise NotFound("order not found")
        return row.task_id, case.case_no, row.kind


@page(supervise_bp, "/supervise/orders/<int:order_id>/reply", methods=("POST",))
def reply_order(order_id: int):
    actor = current_actor()
    task_id, case_no, kind = _order_facts(order_id)
    values = {"reply": (request.form.get("reply") or "").strip()}
    key = f"reply:{order_id}"
    places = _places(_origin("case", ("task", "case")), task_id, case_no)
    back = places[0]
    typed = [(_("回复内容"), values["reply"])]
    errors: dict[str, list[str]] = {}
    _text_error(errors, "reply", values["reply"], required=_("请填写回复内容。"), too_long=_("回复最多 2000 个字符。"))
    if errors:
        return _refuse(KeptForm(key, values, errors, _not_saved()), 422, places, typed, back)
    try:
        with write_transaction():
            supervision_orders.reply_to_order(engine_context(), actor, order_id, values["reply"])
    except NotAllowed:
        return _refuse(KeptForm(key, values, {}, _("只有被催办、督办的单位可以回复。")), 403, [], typed, back)
    except Conflict:
        with read_snapshot():
            order = db.session.get(Escalation, order_id)
            when = local_datetime(clock.as_utc(order.replied_at)) if order is not None else ""
        message = _("该%(kind)s已于 %(when)s 回复，您的回复未保存。", kind=order_kind_label(kind), when=when)
        return _refuse(KeptForm(key, values, {}, message), 409, places, typed, back)
    except InvalidSubmission as exc:
        errors = _field_errors(exc, {"reply": _("请填写回复内容（最多 2000 个字符）。")})
        return _refuse(KeptForm(key, values, errors, _not_saved()), 422, places, typed, back)
    flash(_("已回复%(kind)s，发出的督办人员会收到通知。", kind=order_kind_label(kind)), "success")
    return redirect(_landing(places).url("supervision-orders"))


# -- extension requests ----------------------------------------------------------------------------------

def _extension_page():
    actor = current_actor()
    return render_template("supervision/extensions.html", rows=pending_extensions_of_region(actor),
                           recent=recent_decisions_of_region(actor), can_decide=actor.role == "supervisor")


@page(supervise_bp, "/desk/extensions", roles=DESK_ROLES)
def extension_list():
    return _extension_page()


def _extension_facts(request_id: int) -> tuple[str, str]:
    actor = current_actor()
    with read_snapshot():
        row = db.session.get(ExtensionRequest, request_id)
        case = db.session.get(Case, row.case_id) if row is not None and row.case_id else None
        if row is None or case is None or not can_view_case(actor, case):
            raise NotFound("extension request not found")
        return row.task_id, case.case_no


def _extension_conflict(request_id: int, approve: bool) -> tuple[str, bool]:
    """Why the decision could not be taken, from the state now, and whether the request still waits
    (so the page can show its form again)."""
    with read_snapshot():
        req = db.session.get(ExtensionRequest, request_id)
        task = db.session.get(ReadyTask, req.task_id) if req is not None else None
        if req is None or req.status != "pending":
            status = {"approved": _("已批准"), "refused": _("未批准")}.get(req.status if req else "", "")
            return _("该延期申请已由他人处理（%(status)s），本次操作未保存。", status=status), False
        if approve and task is None:
            return _("该任务已办结或已取消，不能再延期；如需结束此申请，请选择“不批准”。"), True
        return _("该任务已批准过一次延期，每个任务只能延期一次。"), True


@page(supervise_bp, "/supervise/extensions/<int:request_id>/decision", methods=("POST",))
def decide_extension(request_id: int):
    actor = current_actor()
    task_id, case_no = _extension_facts(request_id)
    decision = request.form.get("decision") or ""
    values = {"decision": decision, "note": (request.form.get("note") or "").strip()}
    key = f"extension:{request_id}"
    places = _places(_origin("desk"), task_id, case_no)
    back = places[0]
    typed = [(_("审批意见"), values["note"])]
    errors: dict[str, list[str]] = {}
    if decision not in ("approve", "refuse"):
        errors["decision"] = [_("请选择批准或不批准。")]
    _text_error(errors, "note", values["note"], required=_("不批准时请说明理由，承办单位会收到这条说明。")
                if decision == "refuse" else None, too_long=_("审批意见最多 2000 个字符。"))
    if errors:
        return _refuse(KeptForm(key, values, errors, _not_saved()), 422, places, typed, back)
    approve = decision == "approve"
    try:
        with write_transaction():
            req = extensions.decide_extension(engine_context(), actor, request_id, approve, values["note"])
            task = db.session.get(ReadyTask, req.task_id)
            done = {"n": req.workdays, "task": task_name(task.name) if task else "",
                    "due": local_datetime(clock.as_utc(task.due_at), with_time=False) if task and task.due_at else ""}
    except NotAllowed:
        return _refuse(KeptForm(key, values, {}, _("只有案件所在地区的信用办督办人员可以审批延期申请。")), 403, [],
                       typed, back)
    except Conflict:
        message, waiting = _extension_conflict(request_id, approve)
        return _refuse(KeptForm(key, values, {}, message), 409, places if waiting else [], typed, back)
    except CalendarNotCovered:
        return _refuse(KeptForm(key, values, {}, _("工作日历尚未覆盖延期后的期限所在年度，请联系管理员载入日历后再批准。")),
                       422, places, typed, back)
    except InvalidSubmission as exc:
        errors = _field_errors(exc, {"note": _("审批意见最多 2000 个字符。"), "approve": _("请选择批准或不批准。")})
        return _refuse(KeptForm(key, values, errors, _not_saved()), 422, places, typed, back)
    if approve:
        flash(_("已批准延期 %(n)s 个工作日，「%(task)s」新的办理期限为 %(due)s。", **done), "success")
    else:
        flash(_("已不批准该延期申请，承办单位会收到通知。"), "success")
    return redirect(_landing(places).url())  # the flash at the top says what happened


# -- reassignment ------------------------------------------------------------------------------------------

def _reassign_conflict(case_no: str) -> tuple[str, bool]:
    """Why the case could not be reassigned, and whether its page still shows the form."""
    with read_snapshot():
        case = case_by_no(db.session, current_actor(), case_no)
        if case.status != "open" or case.instance_id is None:
            return _("案件已办结，不能再改派。"), False
        return _("案件已由该单位承办，请选择其他单位。"), True


@page(supervise_bp, "/supervise/cases/<case_no>/reassign", methods=("POST",))
def reassign_case(case_no: str):
    actor = current_actor()
    values = {"org": (request.form.get("org") or "").strip(), "reason": (request.form.get("reason") or "").strip()}
    place = Place("case", case_no=case_no)
    errors: dict[str, list[str]] = {}
    if not values["org"]:
        errors["org"] = [_("请选择新的承办单位。")]
    _text_error(errors, "reason", values["reason"], required=_("请说明改派理由。"), too_long=_("改派理由最多 2000 个字符。"))
    with read_snapshot():
        case_by_no(db.session, actor, case_no)  # 404 before anything else for a case not the caller's
    key = f"reassign:{case_no}"
    typed = [(_("新的承办单位"), values["org"]), (_("改派理由"), values["reason"])]
    if errors:
        return _refuse(KeptForm(key, values, errors, _not_saved()), 422, [place], typed, place)
    try:
        with write_transaction():
            ctx = engine_context()
            case = case_by_no(db.session, actor, case_no)
            reassignment.reassign_case(ctx, actor, case, values["org"], values["reason"])
            org_name = org_label(ctx.directory.by_code[values["org"]].name)
    except NotAllowed:
        return _refuse(KeptForm(key, values, {}, _("只有案件所在地区的信用办督办人员可以改派案件。")), 403, [], typed, place)
    except Conflict:
        message, open_case = _reassign_conflict(case_no)
        return _refuse(KeptForm(key, values, {}, message), 409, [place] if open_case else [], typed, place)
    except InvalidSubmission as exc:
        errors = _field_errors(exc, {"org": _("请选择本地区内的单位。"), "reason": _("请说明改派理由（最多 2000 个字符）。")})
        return _refuse(KeptForm(key, values, errors, _not_saved()), 422, [place], typed, place)
    flash(_("案件已改派至%(org)s，原承办单位和新承办单位都已收到通知。", org=org_name), "success")
    return redirect(place.url())
