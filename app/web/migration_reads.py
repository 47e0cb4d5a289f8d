"""What the migration pages read besides the plan itself: a process's versions, the running cases
a choice matches (counted on the instance and case projections, never the engine state), the
deadlines of cases (ready tasks and pending timers, before and after a batch) and the batch
reports kept in the audit trail."""
from __future__ import annotations

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from app import clock
from app.errors import NotFound
from app.models import AuditEvent, Case, Org, ProcessDefinition, ProcessInstance, ReadyTask, Timer, User
from app.services import model_admin

REPORT_ACTION = "cases_migration_report"


def versions(session: Session, key: str) -> list[dict]:
    """The deployed versions of `key`, newest first, each with its running cases (404 if none)."""
    for process in model_admin.list_processes(session):
        if process["key"] == key:
            return process["versions"]
    raise NotFound(f"no deployed process {key!r}")


def handling_orgs(session: Session, key: str) -> list[tuple[str, str]]:
    """(code, name) of the orgs handling running cases on any version of `key`."""
    rows = session.execute(
        select(Org.code, Org.name).distinct()
        .join(Case, Case.handling_org_id == Org.id)
        .join(ProcessInstance, ProcessInstance.id == Case.instance_id)
        .join(ProcessDefinition, ProcessDefinition.id == ProcessInstance.definition_id)
        .where(ProcessDefinition.key == key, ProcessInstance.status == "running")
        .order_by(Org.code)).all()
    return [(r.code, r.name) for r in rows]


def running_count(session: Session, definition_id: int, stage: str | None, org_code: str | None) -> int:
    """How many running instances of one version match the filters (the plan checks at most
    case_migration.MAX_PLAN of them)."""
    query = (select(func.count(ProcessInstance.id))
             .select_from(ProcessInstance)
             .outerjoin(Case, Case.instance_id == ProcessInstance.id)
             .outerjoin(Org, Org.id == Case.handling_org_id)
             .where(ProcessInstance.definition_id == definition_id, ProcessInstance.status == "running"))
    if stage:
        query = query.where(Case.stage == stage)
    if org_code:
        query = query.where(Org.code == org_code)
    return session.execute(query).scalar_one()


def _iso(moment) -> str | None:
    moment = clock.as_utc(moment)
    return moment.isoformat() if moment else None


def deadlines(session: Session, instance_ids: list[int]) -> dict[int, list[dict]]:
    """Per instance: its ready tasks' due dates and its pending timers' due times, as JSON-ready
    dicts {kind: task|timer, element, name, timer_kind, due_at (ISO, UTC) or None}."""
    out: dict[int, list[dict]] = {i: [] for i in instance_ids}
    if not instance_ids:
        return out
    for t in session.execute(select(ReadyTask).where(ReadyTask.instance_id.in_(instance_ids))
                             .order_by(ReadyTask.created_at, ReadyTask.id)).scalars():
        out[t.instance_id].append({"kind": "task", "element": t.spec_id, "name": t.name, "timer_kind": "",
                                   "due_at": _iso(t.due_at)})
    for t in session.execute(select(Timer).where(Timer.instance_id.in_(instance_ids), Timer.fired_at.is_(None))
                             .order_by(Timer.due_at, Timer.id)).scalars():
        out[t.instance_id].append({"kind": "timer", "element": t.spec_id, "name": "", "timer_kind": t.kind,
                                   "due_at": _iso(t.due_at)})
    return out


def report_entry(session: Session, key: str, report_id: int) -> AuditEvent:
    entry = session.get(AuditEvent, report_id)
    if entry is None or entry.action != REPORT_ACTION or (entry.detail or {}).get("key") != key:
        raise NotFound("no such migration report")
    return entry


def display_names(session: Session, user_ids) -> dict[int, str]:
    ids = {i for i in user_ids if i is not None}
    if not ids:
        return {}
    return {r.id: r.display_name or r.username
            for r in session.execute(select(User.id, User.username, User.display_name).where(User.id.in_(ids)))}


def recent_reports(session: Session, key: str, limit: int = 10) -> list[AuditEvent]:
    """The latest batch reports of `key`, newest first (looked for among the last 200 of any key)."""
    rows = session.execute(select(AuditEvent).where(AuditEvent.action == REPORT_ACTION)
                           .order_by(AuditEvent.id.desc()).limit(200)).scalars()
    return [r for r in rows if (r.detail or {}).get("key") == key][:limit]
