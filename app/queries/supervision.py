"""Read side of the supervisors' desk: the live board of running clocks and the per-org league table
(with the cases behind each number). Everything is scoped to the caller's region with
`policy.in_region` (a SQL prefix filter narrows first). Working days use the cached calendar."""
from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta

from sqlalchemy import select
from sqlalchemy.orm import Session

from app import clock
from app.calendar import end_of_day
from app.errors import CalendarNotCovered
from app.models import Case, ExtensionRequest, ProcessInstance, ReadyTask, TaskLog, User
from app.policy import Actor, in_region
from app.services.reference_cache import reference_data

STOPPED_ROLES = ("complainant",)  # waiting on the complainant: not a running clock of an org
METRICS = ("received", "completed", "on_time_original", "late_original", "on_time_extended", "late_extended",
           "overdue_now", "extensions", "returns", "reopened")


def _iso(dt):
    return clock.local(dt).isoformat(timespec="seconds") if dt else None


def _region_prefix(actor: Actor):
    """A SQL pre-filter wide enough for `in_region` (a city covers its xxxx prefix)."""
    return Case.region_code.like((actor.region_code or "")[:4] + "%")


def workdays_left(calendar, now: datetime, due: datetime | None) -> int | None:
    """Working days from today to the due date; negative once overdue; None when unknown."""
    if due is None:
        return None
    try:
        if due >= now:
            return calendar.workdays_between(now, due)
        return -calendar.workdays_between(due, now)
    except CalendarNotCovered:
        return None


# -- live board ------------------------------------------------------------------------------------

def clock_board(session: Session, actor: Actor, now: datetime, *, org: str | None = None, region: str | None = None,
                stage: str | None = None, channel: str | None = None, limit: int = 2000) -> list[dict]:
    """Every running clock in the caller's region: overdue first (earliest due first), provisional last."""
    directory, calendar = reference_data(session)
    q = (select(ReadyTask, Case).join(Case, Case.id == ReadyTask.case_id)
         .where(ReadyTask.due_rule.is_not(None), ReadyTask.role.not_in(STOPPED_ROLES), Case.status == "open",
                _region_prefix(actor)))
    if org:
        q = q.where(ReadyTask.org_id == directory.id_of(org))
    if region:
        q = q.where(Case.region_code == region)
    if stage:
        q = q.where(ReadyTask.stage == stage)
    if channel:
        q = q.where(Case.channel == channel)
    q = q.order_by(ReadyTask.due_at.is_(None), ReadyTask.due_at, ReadyTask.id).limit(limit)
    rows = []
    for task, case in session.execute(q).all():
        if not in_region(actor.region_code, case.region_code):
            continue
        entry = directory.by_id.get(task.org_id)
        due = clock.as_utc(task.due_at)
        rows.append({
            "case_no": case.case_no, "task_id": task.id, "task": task.spec_id, "name": task.name, "role": task.role,
            "org": entry.code if entry else None, "org_name": entry.name if entry else None, "stage": task.stage,
            "channel": case.channel, "region_code": case.region_code, "due_at": _iso(due),
            "original_due_at": _iso(task.original_due_at), "extended_workdays": task.extended_workdays,
            "workdays_left": workdays_left(calendar, now, due), "overdue": due is not None and due < now,
            "provisional": due is None and bool((task.due_basis or {}).get("provisional")),
            "escalation_level": task.escalation_level,
        })
    return rows


# -- league table ----------------------------------------------------------------------------------

@dataclass
class Done:
    case_id: int
    stage: str
    workdays: int | None
    on_time_original: bool | None  # None: the original deadline cannot be told (extension over an unloaded year)
    on_time_extended: bool


@dataclass
class OrgFacts:
    received: set = field(default_factory=set)
    completed: list = field(default_factory=list)
    overdue_now: set = field(default_factory=set)
    extensions: set = field(default_factory=set)
    returns: set = field(default_factory=set)
    reopened: set = field(default_factory=set)

    def cases(self, metric: str) -> set[int]:
        if metric in ("received", "overdue_now", "extensions", "returns", "reopened"):
            return set(getattr(self, metric))
        if metric == "completed":
            return {d.case_id for d in self.completed}
        flag = "on_time_original" if metric.endswith("original") else "on_time_extended"
        wanted = metric.startswith("on_time")
        return {d.case_id for d in self.completed if getattr(d, flag) == wanted}


def period_bounds(start: date, end: date) -> tuple[datetime, datetime]:
    """[local midnight of start, local midnight after end)."""
    return (datetime.combine(start, time.min, tzinfo=clock.SHANGHAI),
            datetime.combine(end + timedelta(days=1), time.min, tzinfo=clock.SHANGHAI))


def _original_due(calendar, due: datetime, extended_workdays: int) -> datetime | None:
    """Undo an approved extension of N working days (extensions move an end-of-workday deadline);
    None when the calendar cannot count those days back (never the extended date in its place)."""
    if not extended_workdays:
        return due
    try:
        day, remaining = clock.local(due).date(), extended_workdays
        while remaining:
            day -= timedelta(days=1)
            if calendar.is_workday(day):
                remaining -= 1
        return end_of_day(day)
    except CalendarNotCovered:
        return None


def _in_scope(actor: Actor, q):
    return q.where(_region_prefix(actor))


def league_facts(session: Session, actor: Actor, now: datetime, start: date, end: date) -> dict[int, OrgFacts]:
    _directory, calendar = reference_data(session)
    lo, hi = period_bounds(start, end)
    facts: dict[int, OrgFacts] = defaultdict(OrgFacts)

    received = session.execute(_in_scope(actor, select(Case.id, Case.handling_org_id, Case.region_code,
                                                       ProcessInstance.data)
                                         .outerjoin(ProcessInstance, ProcessInstance.id == Case.instance_id)
                                         .where(Case.received_at >= lo, Case.received_at < hi,
                                                Case.handling_org_id.is_not(None)))).all()
    for case_id, org_id, region, data in received:
        if in_region(actor.region_code, region):
            facts[org_id].received.add(case_id)
            if int((data or {}).get("reopen_count") or 0) > 0:
                facts[org_id].reopened.add(case_id)

    extended = dict(session.execute(select(ExtensionRequest.task_id, ExtensionRequest.workdays)
                                    .where(ExtensionRequest.status == "approved")).all())
    done = session.execute(_in_scope(actor, select(TaskLog, Case.region_code).join(Case, Case.id == TaskLog.case_id)
                                     .where(TaskLog.completed_at >= lo, TaskLog.completed_at < hi,
                                            TaskLog.org_id.is_not(None)))).all()
    for log, region in done:
        if not in_region(actor.region_code, region) or log.state != "completed":
            continue
        if log.spec_id == "receive_referral" and (log.data or {}).get("referral_decision") == "return":
            facts[log.org_id].returns.add(log.case_id)
        if log.due_at is None or log.role in STOPPED_ROLES:
            continue
        due, finished = clock.as_utc(log.due_at), clock.as_utc(log.completed_at)
        original = _original_due(calendar, due, extended.get(log.task_id, 0))
        try:
            workdays = calendar.workdays_between(log.created_at, finished)
        except CalendarNotCovered:
            workdays = None
        facts[log.org_id].completed.append(Done(log.case_id, log.stage or "", workdays,
                                                None if original is None else finished <= original, finished <= due))

    overdue = session.execute(_in_scope(actor, select(ReadyTask.org_id, ReadyTask.case_id, Case.region_code)
                                        .join(Case, Case.id == ReadyTask.case_id)
                                        .where(ReadyTask.due_at < now, ReadyTask.org_id.is_not(None),
                                               ReadyTask.role.not_in(STOPPED_ROLES)))).all()
    for org_id, case_id, region in overdue:
        if in_region(actor.region_code, region):
            facts[org_id].overdue_now.add(case_id)

    granted = session.execute(_in_scope(actor, select(User.org_id, ExtensionRequest.case_id, Case.region_code)
                                        .join(User, User.id == ExtensionRequest.requested_by_id)
                                        .join(Case, Case.id == ExtensionRequest.case_id)
                                        .where(ExtensionRequest.status == "approved",
                                               ExtensionRequest.decided_at >= lo, ExtensionRequest.decided_at < hi))).all()
    for org_id, case_id, region in granted:
        if in_region(actor.region_code, region):
            facts[org_id].extensions.add(case_id)
    return dict(facts)


def _rate(part: int, whole: int) -> float | None:
    return round(part / whole, 4) if whole else None


def _row(entry, f: OrgFacts) -> dict:
    by_stage: dict[str, list[int]] = defaultdict(list)
    for d in f.completed:
        if d.workdays is not None:
            by_stage[d.stage].append(d.workdays)
    completed = len(f.completed)
    return {
        "org": entry.code if entry else None, "org_name": entry.name if entry else None,
        "received": len(f.received), "completed": completed,
        "on_time_rate_original": _rate(sum(d.on_time_original is True for d in f.completed),
                                       sum(d.on_time_original is not None for d in f.completed)),
        "on_time_rate_extended": _rate(sum(d.on_time_extended for d in f.completed), completed),
        "avg_workdays_by_stage": {s: round(sum(v) / len(v), 1) for s, v in sorted(by_stage.items())},
        "overdue_now": len(f.overdue_now), "extensions": len(f.extensions), "returns": len(f.returns),
        "reopened": len(f.reopened), "reopen_rate": _rate(len(f.reopened), len(f.received)),
    }


def league_table(session: Session, actor: Actor, now: datetime, start: date, end: date,
                 facts: dict[int, OrgFacts] | None = None) -> list[dict]:
    """One row per org with activity in the period; best extended on-time rate first. `facts`: the
    period's `league_facts` when the caller has them already."""
    directory, _calendar = reference_data(session)
    facts = league_facts(session, actor, now, start, end) if facts is None else facts
    rows = [_row(directory.by_id.get(org_id), f) for org_id, f in facts.items()]
    return sorted(rows, key=lambda r: (r["on_time_rate_extended"] is None, -(r["on_time_rate_extended"] or 0),
                                       r["overdue_now"], r["org"] or ""))


def league_cases(session: Session, actor: Actor, now: datetime, start: date, end: date, org_code: str,
                 metric: str, facts: dict[int, OrgFacts] | None = None) -> list[dict]:
    """The cases behind one number of the league table (`metric` is one of METRICS). `facts`: the
    period's `league_facts` when the caller has them already."""
    directory, _calendar = reference_data(session)
    org_id = directory.id_of(org_code)
    if facts is None and org_id:
        facts = league_facts(session, actor, now, start, end)
    f = facts.get(org_id) if org_id else None
    ids = f.cases(metric) if f else set()
    if not ids:
        return []
    cases = session.execute(select(Case).where(Case.id.in_(ids)).order_by(Case.received_at, Case.id)).scalars()
    codes = directory.codes_by_id
    return [{"case_no": c.case_no, "status": c.status, "stage": c.stage, "channel": c.channel,
             "received_at": _iso(c.received_at), "closed_at": _iso(c.closed_at),
             "handling_org": codes.get(c.handling_org_id), "region_code": c.region_code} for c in cases]
