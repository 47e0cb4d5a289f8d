"""The signed-in user's notifications: the bell in the header (unread count) and the list at
/notifications (newest first, links to the case and to the user's open task in it, mark one or all
read).

The bell asks for one COUNT per staff page through `header_unread_count()`, a template global this
module registers; anonymous visitors cost no query, and a failing count never breaks the page (the
bell is then shown without a number)."""
from __future__ import annotations

import logging
from dataclasses import dataclass

from flask import Blueprint, flash, g, redirect, render_template, request, url_for
from flask_babel import gettext as _
from sqlalchemy import select

from app.db import db
from app.models import Case, Notification, ReadyTask
from app.policy import can_view_case
from app.services import notifications
from app.web.pages import current_actor, engine_context, page, safe_next, write_transaction
from app.web.staff_labels import N_, escalation_label, register_staff_labels

log = logging.getLogger(__name__)

notifications_bp = Blueprint("notifications", __name__)

PAGE_SIZE = 30
_UNSET = object()


def header_unread_count() -> int | None:
    """Unread notifications of the signed-in staff user, once per request; None for anonymous
    visitors (no query) or when the count cannot be read (the page still renders)."""
    cached = g.get("_bell_unread", _UNSET)
    if cached is not _UNSET:
        return cached
    user = g.get("web_user")
    count = None
    if user is not None:
        try:
            count = notifications.unread_count(db.session, user.id)
        except Exception:  # noqa: BLE001 - the bell must never take a page down
            log.warning("unread notification count failed", exc_info=True)
            db.session.rollback()
    g._bell_unread = count
    return count


def bell_text(count: int | None) -> str:
    """What the bell's badge shows: the count, capped at 99+."""
    if not count:
        return ""
    return "99+" if count > 99 else str(count)


_KINDS = {"escalation_reply": N_("督办回复"), "extension_requested": N_("延期申请"), "extension_approved": N_("延期已批准"),
          "extension_refused": N_("延期未批准"), "case_reassigned": N_("改派"), "deadline_moved": N_("期限调整"),
          "calendar_coverage": N_("工作日历")}


def notification_kind_label(kind: str | None) -> str:
    kind = kind or ""
    if kind.startswith("escalation:"):
        return escalation_label(kind.split(":", 1)[1])
    text = _KINDS.get(kind)
    return _(text) if text else _("通知")


def _register(state) -> None:
    register_staff_labels(state.app)
    state.app.jinja_env.globals.update(header_unread_count=header_unread_count, bell_text=bell_text,
                                       notification_kind_label=notification_kind_label)


notifications_bp.record_once(_register)


# -- the list ----------------------------------------------------------------------------------------

@dataclass
class NotificationRow:
    note: Notification
    case_no: str | None  # None: no case, or a case the user can no longer open
    task_id: str | None  # the user's open task in that case, if any
    task_name: str | None

    @property
    def unread(self) -> bool:
        return self.note.read_at is None

    @property
    def target(self) -> str | None:
        """Where the notification leads: the user's task, else the case."""
        if self.task_id:
            return url_for("tasks.task_page", task_id=self.task_id)
        if self.case_no:
            return url_for("cases.case_page", case_no=self.case_no)
        return None


def _rows(user_id: int, *, unread_only: bool, before_id: int | None) -> tuple[list[NotificationRow], bool]:
    """One page, newest first, with the case (one statement) and the user's open tasks in those
    cases (one more)."""
    actor = current_actor()
    q = (select(Notification, Case).outerjoin(Case, Case.id == Notification.case_id)
         .where(Notification.user_id == user_id))
    if unread_only:
        q = q.where(Notification.read_at.is_(None))
    if before_id is not None:
        q = q.where(Notification.id < before_id)
    found = db.session.execute(q.order_by(Notification.id.desc()).limit(PAGE_SIZE + 1)).all()
    more = len(found) > PAGE_SIZE
    found = found[:PAGE_SIZE]
    case_ids = {case.id for _note, case in found if case is not None and can_view_case(actor, case)}
    tasks: dict[int, tuple[str, str]] = {}
    if case_ids and actor.org_id is not None:
        for task in db.session.execute(
                select(ReadyTask).where(ReadyTask.case_id.in_(case_ids), ReadyTask.role == actor.role,
                                        ReadyTask.org_id == actor.org_id)
                .order_by(ReadyTask.created_at, ReadyTask.id)).scalars():
            tasks.setdefault(task.case_id, (task.id, task.name))
    rows = []
    for note, case in found:
        visible = case is not None and case.id in case_ids
        task_id, task_name = tasks.get(case.id, (None, None)) if visible else (None, None)
        rows.append(NotificationRow(note, case.case_no if visible else None, task_id, task_name))
    return rows, more


@page(notifications_bp, "/notifications")
def notification_list():
    user_id = current_actor().user_id
    show = "unread" if request.args.get("show") == "unread" else "all"
    before = request.args.get("before") or ""
    before_id = int(before) if before.isdigit() else None
    rows, more = _rows(user_id, unread_only=show == "unread", before_id=before_id)
    next_url = url_for("notifications.notification_list", show=show, before=rows[-1].note.id) if more else None
    return render_template("notifications/list.html", rows=rows, show=show, next_url=next_url,
                           paged=before_id is not None, unread=header_unread_count() or 0,
                           here=request.full_path.rstrip("?"))


def _back() -> str:
    return safe_next(request.form.get("next"), url_for("notifications.notification_list"))


@page(notifications_bp, "/notifications/<int:notification_id>/read", methods=("POST",))
def mark_read(notification_id: int):
    """Mark one read; with `next` set to its case or task, this is also how "open" works."""
    with write_transaction():
        notifications.mark_read(engine_context(), current_actor(), notification_id)
    if request.form.get("quiet") != "1":
        flash(_("已标为已读。"), "success")
    return redirect(_back())


@page(notifications_bp, "/notifications/read-all", methods=("POST",))
def mark_all_read():
    with write_transaction():
        marked = notifications.mark_all_read(engine_context(), current_actor())
    if marked:
        flash(_("已将 %(n)s 条通知标为已读。", n=marked), "success")
    else:
        flash(_("没有未读通知。"), "info")
    return redirect(_back())
