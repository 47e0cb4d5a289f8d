"""Read side of the supervision actions shown inside other areas' pages (the task page and the case
page include templates/supervision/_*.html) and on the pending-extensions page.

The includes get what their page does not pass from template globals registered here; each costs
at most one statement (plus the cached directory/calendar token check), and nothing is read for a
user who may not act. What a refused submit typed comes back through `kept_form(key)`, which the
POST views in supervision_views fill before they re-render the page the user came from."""
from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime

from flask import Flask, g
from flask_babel import gettext as _
from sqlalchemy import and_, func, select
from sqlalchemy.orm import aliased

from app import clock
from app.db import db
from app.errors import CalendarNotCovered
from app.models import Case, Escalation, ExtensionRequest, Org, ReadyTask, TaskLog, User
from app.policy import Actor, can_reply_to_order, can_supervise_case, in_region
from app.queries.case_page import Deadline, deadline
from app.services.reference_cache import reference_data
from app.services.supervision_orders import KINDS, LABELS, MAX_REPLY_WORKDAYS
from app.web.staff_labels import N_, region_label

DEFAULT_REPLY_WORKDAYS = 3
ORDER_KIND_LABELS = {"manual_reminder": N_("催办"), "manual_supervision": N_("督办")}


def order_kind_label(kind: str | None) -> str:
    text = ORDER_KIND_LABELS.get(kind or "")
    return _(text) if text else (kind or "")


def order_kind_choices() -> list[tuple[str, str, str]]:
    """(form value, label, hint) for the send form: 催办 first."""
    hints = {"reminder": _("提醒承办单位按期办理并回复进展"), "supervision_order": _("正式督办，承办单位须在期限内书面回复")}
    return [(value, order_kind_label(stored), hints[value]) for value, stored in KINDS.items()]


# -- what a refused submit typed ---------------------------------------------------------------------

@dataclass
class KeptForm:
    """One refused form: the values as typed, field errors, and the reason in words."""

    key: str  # order:<task id> | reply:<order id> | extension:<request id> | reassign:<case no>
    values: dict[str, str]
    errors: dict[str, list[str]] = field(default_factory=dict)
    message: str = ""

    def value(self, name: str, default: str = "") -> str:
        return self.values.get(name, default)


def keep_form(kept: KeptForm) -> None:
    g.supervision_kept = kept


def kept_form(key: str) -> KeptForm | None:
    kept = g.get("supervision_kept")
    return kept if kept is not None and kept.key == key else None


def _actor() -> Actor | None:
    return g.get("actor")


# -- pending extension requests ----------------------------------------------------------------------

@dataclass
class PendingExtension:
    request: ExtensionRequest
    case: Case
    task: ReadyTask | None  # None: the task left the ready list meanwhile
    task_name: str
    org_name: str
    requested_by: str
    deadline: Deadline | None
    new_due_at: datetime | None  # the due date if approved (None: no calendar for that year, or no task)


def _extension_rows(actor: Actor, *, where, limit: int = 200) -> list[PendingExtension]:
    """Extension requests with their case, open task, task name, org and requester (one statement)."""
    requester = aliased(User)
    logged_name = (select(TaskLog.name).where(TaskLog.task_id == ExtensionRequest.task_id)
                   .order_by(TaskLog.id.desc()).limit(1).scalar_subquery())
    rows = db.session.execute(
        select(ExtensionRequest, Case, ReadyTask, requester.display_name, Org.name, logged_name)
        .join(Case, Case.id == ExtensionRequest.case_id)
        .outerjoin(ReadyTask, ReadyTask.id == ExtensionRequest.task_id)
        .outerjoin(requester, requester.id == ExtensionRequest.requested_by_id)
        .outerjoin(Org, Org.id == ReadyTask.org_id)
        .where(*where).order_by(ExtensionRequest.requested_at, ExtensionRequest.id).limit(limit)
    ).all()
    if not rows:
        return []
    _directory, calendar = reference_data(db.session)
    now = clock.now()
    found = []
    for req, case, task, who, org_name, old_name in rows:
        if not in_region(actor.region_code, case.region_code):
            continue
        due = clock.as_utc(task.due_at) if task is not None else None
        new_due = None
        if due is not None and req.status == "pending":
            try:
                new_due = calendar.add_workdays(due, req.workdays)
            except CalendarNotCovered:
                new_due = None
        found.append(PendingExtension(req, case, task, task.name if task is not None else (old_name or ""),
                                      org_name or "", who or "", deadline(calendar, now, due) if due else None,
                                      new_due))
    return found


def region_filter(actor: Actor):
    """A SQL pre-filter as wide as `in_region` (a city covers its xxxx prefix)."""
    code = actor.region_code or ""
    if code.endswith("00"):
        return Case.region_code.like(code[:4] + "%")
    return Case.region_code == code


def pending_extensions_of_region(actor: Actor) -> list[PendingExtension]:
    return _extension_rows(actor, where=[ExtensionRequest.status == "pending", region_filter(actor)])


def recent_decisions_of_region(actor: Actor, limit: int = 10) -> list[tuple[ExtensionRequest, Case, str]]:
    """The last decisions in the region, newest first, with who decided (one statement)."""
    decider = aliased(User)
    rows = db.session.execute(
        select(ExtensionRequest, Case, decider.display_name)
        .join(Case, Case.id == ExtensionRequest.case_id)
        .outerjoin(decider, decider.id == ExtensionRequest.decided_by_id)
        .where(ExtensionRequest.status != "pending", region_filter(actor))
        .order_by(ExtensionRequest.decided_at.desc(), ExtensionRequest.id.desc()).limit(limit)
    ).all()
    return [(req, case, who or "") for req, case, who in rows if in_region(actor.region_code, case.region_code)]


# -- panels for the task page and the case page --------------------------------------------------------

@dataclass
class TaskPanel:
    can_send: bool = False  # 催办/督办 on this task
    org_name: str = ""  # the org the task waits on
    pending: PendingExtension | None = None  # waiting for this supervisor's decision
    max_reply_workdays: int = MAX_REPLY_WORKDAYS
    default_reply_workdays: int = DEFAULT_REPLY_WORKDAYS

    @property
    def shown(self) -> bool:
        return self.can_send or self.pending is not None


def task_panel(task, case) -> TaskPanel:
    """What a supervisor of the case's region may do on this task; nothing (and no query) for others."""
    actor = _actor()
    panel = TaskPanel()
    if actor is None or task is None or case is None or not can_supervise_case(actor, case):
        return panel
    panel.can_send = task.org_id is not None and task.role != "complainant" and case.status == "open"
    if panel.can_send:
        directory, _calendar = reference_data(db.session)
        entry = directory.by_id.get(task.org_id)
        panel.org_name = entry.name if entry else ""
    pending = _extension_rows(actor, where=[ExtensionRequest.task_id == task.id,
                                            ExtensionRequest.status == "pending"], limit=1)
    panel.pending = pending[0] if pending else None
    return panel


@dataclass
class OrgChoice:
    code: str
    name: str
    current: bool


@dataclass
class CasePanel:
    can_reassign: bool = False
    org_groups: list[tuple[str, list[OrgChoice]]] = field(default_factory=list)
    pending: list[PendingExtension] = field(default_factory=list)

    @property
    def shown(self) -> bool:
        return self.can_reassign or bool(self.pending)


def case_panel(case) -> CasePanel:
    """Reassignment (the orgs of the supervisor's region but the credit offices, grouped by region)
    and the case's pending extension requests, for a supervisor of the case's region."""
    actor = _actor()
    panel = CasePanel()
    if actor is None or case is None or not can_supervise_case(actor, case):
        return panel
    if case.status == "open" and case.instance_id is not None:
        panel.can_reassign = True
        directory, _calendar = reference_data(db.session)
        groups: dict[str, list[OrgChoice]] = {}
        entries = sorted(directory.by_id.values(), key=lambda e: (e.region_code, e.level != "city",
                                                                   e.level == "township", e.code))
        for entry in entries:
            if in_region(actor.region_code, entry.region_code) and not entry.is_credit_office:
                groups.setdefault(entry.region_code, []).append(
                    OrgChoice(entry.code, entry.name, entry.id == case.handling_org_id))
        panel.org_groups = [(region_label(code), orgs) for code, orgs in groups.items()]
    panel.pending = _extension_rows(actor, where=[ExtensionRequest.case_id == case.id,
                                                  ExtensionRequest.status == "pending"])
    return panel


# -- 催办/督办 of a case or task ----------------------------------------------------------------------------

@dataclass
class OrderRow:
    order: Escalation
    task_name: str
    task_open: bool
    org_name: str  # the org addressed
    sender: str  # the sender's display name
    sender_org: str
    can_reply: bool
    reply_overdue: bool

    @property
    def answered(self) -> bool:
        return self.order.replied_at is not None


def orders_for(case, task=None) -> list[OrderRow]:
    """The 催办/督办 sent by hand on the case (or on one task of it): unanswered first, newest first
    within each group; each with whether the viewer may reply (one statement)."""
    actor = _actor()
    if actor is None or case is None:
        return []
    logged_name = (select(TaskLog.name).where(TaskLog.task_id == Escalation.task_id)
                   .order_by(TaskLog.id.desc()).limit(1).scalar_subquery())
    sender, sender_org = aliased(User), aliased(Org)
    q = (select(Escalation, ReadyTask.id, func.coalesce(ReadyTask.name, logged_name), Org.name,
                sender.display_name, sender_org.name)
         .outerjoin(ReadyTask, ReadyTask.id == Escalation.task_id)
         .outerjoin(Org, Org.id == Escalation.org_id)
         .outerjoin(sender, sender.id == Escalation.by_id)
         .outerjoin(sender_org, sender_org.id == sender.org_id)
         .where(and_(Escalation.case_id == case.id, Escalation.kind.in_(tuple(LABELS)))))
    if task is not None:
        q = q.where(Escalation.task_id == task.id)
    now = clock.now()
    rows = []
    for order, open_id, name, org_name, who, who_org in db.session.execute(q.order_by(Escalation.id.desc())).all():
        due = clock.as_utc(order.reply_due_at)
        rows.append(OrderRow(order, name or "", open_id is not None, org_name or "", who or order.by_label,
                             who_org or "",
                             order.replied_at is None and can_reply_to_order(actor, order),
                             order.replied_at is None and due is not None and due < now))
    rows.sort(key=lambda r: r.answered)  # stable: newest first within each group
    return rows


def register_supervision_panels(app: Flask) -> None:
    app.jinja_env.globals.update(supervision_task_panel=task_panel, supervision_case_panel=case_panel,
                                 supervision_orders=orders_for, supervision_kept=kept_form,
                                 order_kind_label=order_kind_label, order_kind_choices=order_kind_choices)
