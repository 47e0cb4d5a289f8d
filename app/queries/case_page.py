"""Read side of the staff task page and case page, beyond `queries.cases`.

Every list is one statement (joined to the users it names), so the number of statements per page
does not grow with the number of tasks, timers, events, files or notes shown. Projections only:
ready tasks, the task log, timers, audit entries, extension requests; never the workflow state.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session, aliased

from app import clock
from app.errors import NotFound
from app.models import (AuditChain, AuditEvent, Case, ExtensionRequest, ProcessInstance, ReadyTask, TaskLog, Timer,
                        User)
from app.policy import (Actor, can_act_on_task, can_add_note, can_claim_task, can_release_claim, can_request_extension,
                        can_view_case)
from app.queries.documents import attachments_for_case, notes_for_case
from app.queries.time_left import days_left, due_soon_limit, urgency
from app.services import audit, definitions
from app.services.reference_cache import reference_data
from app.task_forms import FormSpec, load_form


# -- deadlines -------------------------------------------------------------------------------------

@dataclass(frozen=True)
class Deadline:
    due_at: datetime | None  # aware UTC
    days_left: int | None  # working days; negative once overdue; None without a due date or calendar
    urgency: str  # ok | due_soon | overdue (queries.time_left, as the inbox)
    calendar_not_covered: bool = False


def deadline(calendar, now: datetime, due: datetime | None) -> Deadline:
    due = clock.as_utc(due)
    if due is None:
        return Deadline(None, None, "ok")
    soon, _uncovered = due_soon_limit(calendar, now)
    days, uncovered = days_left(calendar, now, due)
    return Deadline(due, days, urgency(due, now, soon), uncovered)


# -- one open task -----------------------------------------------------------------------------------

@dataclass
class ExtensionState:
    """Whether the actor may ask for more time on the task now, and any request already made."""

    allowed: bool
    pending: ExtensionRequest | None = None
    granted: ExtensionRequest | None = None
    refused: ExtensionRequest | None = None
    reason: str = ""  # why not: not_assignee | case_deadline | no_due_date | granted | pending


@dataclass
class TaskView:
    task: ReadyTask
    case: Case | None
    claimed_by: str | None  # display name of the holder
    deadline: Deadline
    can_act: bool  # may complete it now (its role and org, and not held by someone else)
    may_act_on_role: bool  # its role and org (even if someone else holds it)
    held_by_other: bool
    can_claim: bool
    can_release: bool
    can_add_note: bool
    schema: dict | None
    ui: dict | None
    extension: ExtensionState


def _open_task_row(session: Session, task_id: str):
    """(task, case, holder's name, definition id) in one statement."""
    holder = aliased(User)
    return session.execute(
        select(ReadyTask, Case, holder.display_name, ProcessInstance.definition_id)
        .join(ProcessInstance, ProcessInstance.id == ReadyTask.instance_id)
        .outerjoin(Case, Case.id == ReadyTask.case_id)
        .outerjoin(holder, holder.id == ReadyTask.claimed_by_id)
        .where(ReadyTask.id == str(task_id))
    ).one_or_none()


def visible(actor: Actor, task, case: Case | None) -> bool:
    """Staff see a task they may act on, or any task of a case they may view."""
    return actor.is_staff and (can_act_on_task(actor, task) or (case is not None and can_view_case(actor, case)))


def task_view(session: Session, actor: Actor, now: datetime, task_id: str) -> TaskView:
    """The open task as the actor sees it; NotFound when it is not ready or not theirs to see."""
    row = _open_task_row(session, task_id)
    if row is None or not visible(actor, row[0], row[1]):
        raise NotFound("task not found")
    task, case, holder_name, definition_id = row
    _directory, calendar = reference_data(session)
    may_act = can_act_on_task(actor, task)
    held_by_other = task.claimed_by_id is not None and task.claimed_by_id != actor.user_id
    schema = ui = None
    if task.form:
        snapshot = definitions.definition(session, definition_id)
        schema, ui = snapshot.form(task.form), snapshot.form(task.ui_form)
    return TaskView(
        task=task, case=case, claimed_by=holder_name, deadline=deadline(calendar, now, task.due_at),
        can_act=may_act and not held_by_other, may_act_on_role=may_act, held_by_other=held_by_other,
        can_claim=task.claimed_by_id is None and can_claim_task(actor, task),
        can_release=task.claimed_by_id is not None and can_release_claim(actor, task, case),
        can_add_note=case is not None and can_add_note(actor, case),
        schema=schema, ui=ui, extension=extension_state(session, actor, task),
    )


def extension_state(session: Session, actor: Actor, task: ReadyTask) -> ExtensionState:
    """Mirrors `services.extensions.request_extension`: assignees only, once per task, not for a
    deadline set in the case itself (`until …`), not without a due date, not while one waits."""
    requests = session.execute(select(ExtensionRequest).where(ExtensionRequest.task_id == task.id)
                               .order_by(ExtensionRequest.id)).scalars().all()
    by_status = {r.status: r for r in requests}
    state = ExtensionState(False, by_status.get("pending"), by_status.get("approved"), by_status.get("refused"))
    if not can_request_extension(actor, task):
        state.reason = "not_assignee"
    elif (task.due_rule or "").strip().lower().startswith("until"):
        state.reason = "case_deadline"
    elif task.due_at is None:
        state.reason = "no_due_date"
    elif state.granted is not None:
        state.reason = "granted"
    elif state.pending is not None:
        state.reason = "pending"
    else:
        state.allowed = True
    return state


def ended_task(session: Session, actor: Actor, task_id: str) -> TaskLog | None:
    """The log entry of a task that has left the ready list, when the actor could have seen it."""
    row = session.execute(
        select(TaskLog, Case).outerjoin(Case, Case.id == TaskLog.case_id)
        .where(TaskLog.task_id == str(task_id)).order_by(TaskLog.id.desc()).limit(1)
    ).one_or_none()
    if row is None or not visible(actor, row[0], row[1]):
        return None
    return row[0]


# -- the case page -----------------------------------------------------------------------------------

@dataclass(frozen=True)
class ChainCheck:
    """The case's audit chain recomputed: intact, or the first entry that does not verify."""

    ok: bool
    entries: int
    broken_seq: int | None = None
    broken_at: datetime | None = None
    broken_action: str | None = None
    tail_missing: bool = False  # entries after the last one were removed (the head says more)


def verify_case_chain(events: list[AuditEvent], head: AuditChain | None) -> ChainCheck:
    """Recompute the hash of every entry of one case chain (sorted by seq) and compare the head."""
    prev_seq, prev_hash = 0, audit.GENESIS
    for ev in events:
        ok = ev.seq == prev_seq + 1 and ev.prev_hash == prev_hash and ev.hash == audit.entry_digest(ev)
        if not ok:
            return ChainCheck(False, len(events), ev.seq, clock.as_utc(ev.at), ev.action)
        prev_seq, prev_hash = ev.seq, ev.hash
    if head is not None and (head.seq, head.last_hash) != (prev_seq, prev_hash):
        return ChainCheck(False, len(events), prev_seq + 1, None, None, tail_missing=True)
    if head is None and events:
        return ChainCheck(False, len(events), prev_seq, None, None, tail_missing=True)
    return ChainCheck(True, len(events))


@dataclass
class OpenTaskRow:
    task: ReadyTask
    claimed_by: str | None
    deadline: Deadline


@dataclass
class DoneTaskRow:
    entry: TaskLog
    by: str  # the user's display name, else the label recorded with the entry
    schema: dict | None
    ui: dict | None

    @property
    def form(self) -> FormSpec | None:
        """The task's form (to show the submitted data read-only), when its schema is known."""
        return load_form(self.schema, self.ui or {}) if self.schema else None


@dataclass
class TimerRow:
    timer: Timer
    attached_name: str | None  # the task the timer sits on (when it is open or was logged)
    rule: str | None  # the due rule of that task, when known


@dataclass
class CasePage:
    case: Case
    open_tasks: list[OpenTaskRow]
    done_tasks: list[DoneTaskRow]
    timers: list[TimerRow]
    events: list[AuditEvent]
    chain: ChainCheck
    attachments: list[dict]
    notes: list[dict]
    extensions: list[ExtensionRequest]
    org_names: dict[int, str] = field(default_factory=dict)
    can_add_note: bool = False

    def org_name(self, org_id: int | None) -> str:
        return self.org_names.get(org_id, "") if org_id is not None else ""


def case_page(session: Session, actor: Actor, now: datetime, case: Case) -> CasePage:
    """Everything about one case the actor may view (the caller looked it up through policy)."""
    directory, calendar = reference_data(session)
    holder = aliased(User)
    open_rows = session.execute(
        select(ReadyTask, holder.display_name).outerjoin(holder, holder.id == ReadyTask.claimed_by_id)
        .where(ReadyTask.case_id == case.id)
        .order_by(ReadyTask.due_at.asc().nulls_last(), ReadyTask.created_at, ReadyTask.id)
    ).all()
    doer = aliased(User)
    done_rows = session.execute(
        select(TaskLog, doer.display_name).outerjoin(doer, doer.id == TaskLog.completed_by_id)
        .where(TaskLog.case_id == case.id).order_by(TaskLog.completed_at, TaskLog.id)
    ).all()
    timers = session.execute(select(Timer).where(Timer.case_id == case.id)
                             .order_by(Timer.fired_at.is_not(None), Timer.due_at, Timer.id)).scalars().all()
    events = session.execute(select(AuditEvent).where(AuditEvent.case_id == case.id)
                             .order_by(AuditEvent.id)).scalars().all()
    chain_name = f"case:{case.id}"
    head = session.get(AuditChain, chain_name)
    chain_events = sorted((e for e in events if e.chain == chain_name), key=lambda e: e.seq)
    extensions = session.execute(select(ExtensionRequest).where(ExtensionRequest.case_id == case.id)
                                 .order_by(ExtensionRequest.id)).scalars().all()
    forms = _forms_of(session, case)

    open_tasks = [OpenTaskRow(t, name, deadline(calendar, now, t.due_at)) for t, name in open_rows]
    done_tasks = [DoneTaskRow(entry, name or entry.completed_by_label,
                              forms.get(f"{entry.spec_id}.schema.json"), forms.get(f"{entry.spec_id}.ui.json"))
                  for entry, name in done_rows]
    task_names = {t.spec_id: (t.name, t.due_rule) for t in (r.task for r in open_tasks)}
    for row in done_tasks:
        task_names.setdefault(row.entry.spec_id, (row.entry.name, None))
    timer_rows = [TimerRow(t, *task_names.get(t.attached_to or "", (None, None))) for t in timers]
    return CasePage(
        case=case, open_tasks=open_tasks, done_tasks=done_tasks, timers=timer_rows, events=list(events),
        chain=verify_case_chain(chain_events, head), attachments=attachments_for_case(session, case.id),
        notes=notes_for_case(session, case.id), extensions=list(extensions),
        org_names={e.id: e.name for e in directory.by_id.values()}, can_add_note=can_add_note(actor, case),
    )


def _forms_of(session: Session, case: Case) -> dict:
    """The form files of the case's pinned definition version (cached per version)."""
    if case.instance_id is None:
        return {}
    definition_id = session.execute(select(ProcessInstance.definition_id)
                                    .where(ProcessInstance.id == case.instance_id)).scalar_one_or_none()
    return definitions.definition(session, definition_id).forms if definition_id is not None else {}


def org_names(session: Session) -> dict[int, str]:
    """id -> name from the cached org directory."""
    directory, _calendar = reference_data(session)
    return {e.id: e.name for e in directory.by_id.values()}


def ended_task_form(session: Session, entry: TaskLog) -> tuple[dict | None, dict | None]:
    """The form (schema, ui) a logged task was shown with, from its case's definition version."""
    definition_id = session.execute(select(ProcessInstance.definition_id)
                                    .where(ProcessInstance.id == entry.instance_id)).scalar_one_or_none()
    if definition_id is None:
        return None, None
    forms = definitions.definition(session, definition_id).forms
    return forms.get(f"{entry.spec_id}.schema.json"), forms.get(f"{entry.spec_id}.ui.json")
