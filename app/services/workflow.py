"""Run the engine inside one transaction and write the state with all its projections.

Every state change goes through `persist`: instance state, ready tasks (with due dates), waiting
timers, case projection, outbox rows and the audit entry are written in the caller's transaction."""
from __future__ import annotations

import json
from dataclasses import dataclass, field
from datetime import datetime

from sqlalchemy import select

from app.calendar import compute_due
from app.engine import SERIALIZER_VERSION, Instance, load_spec
from app.errors import CalendarNotCovered, NotFound
from app.models import Case, OutboxMessage, ProcessInstance, ReadyTask, TaskLog, Timer
from app.policy import Actor
from app.services import audit, clock_stop, definitions
from app.services.definitions import DefinitionSnapshot
from app.services.engine_context import EngineContext

DEFAULT_ORG_VARIABLE = {"intake_officer": "accepting_org", "handler": "handling_org", "supervisor": "supervising_org"}
PUBLIC_SIGNALS = {"breach_determined", "credit_repaired", "sanctions_proposed", "case_closed", "rectification_reminder"}


@dataclass
class Loaded:
    row: ProcessInstance
    definition: DefinitionSnapshot
    engine: Instance
    case: Case | None
    ready_rows: dict[str, ReadyTask] = field(default_factory=dict)  # the projection as locked / as written
    completed_task_ids: set = field(default_factory=set)
    pending_timers: list[Timer] | None = None  # the timer projection's pending rows, when already read
    audit_heads: dict | None = None  # audit chain heads this transaction already locked (audit.lock_heads)
    # when set, `persist` queues the append-only rows it writes (task log, outbox, audit entries) here and
    # the caller inserts them in bulk (db.insert_rows) instead of the ORM flushing them one by one
    append_only: list | None = None

    def add_append_only(self, session, obj) -> None:
        if self.append_only is not None:
            self.append_only.append(obj)
        else:
            session.add(obj)

    @property
    def audit_chain(self) -> str:
        return audit.chain_of(self.case.id if self.case else None, self.row.id)


def _log_entry(task: ReadyTask, state: str, now: datetime, actor_id, actor_label: str, data: dict) -> TaskLog:
    return TaskLog(
        task_id=task.id, instance_id=task.instance_id, case_id=task.case_id, spec_id=task.spec_id, name=task.name,
        role=task.role, stage=task.stage, state=state, org_id=task.org_id, created_at=task.created_at,
        due_at=task.due_at, completed_at=now, completed_by_id=actor_id, completed_by_label=actor_label, data=data,
    )


def log_completion(ctx: EngineContext, loaded: Loaded, task: ReadyTask, actor: Actor, data: dict) -> None:
    loaded.completed_task_ids.add(task.id)
    ctx.session.add(_log_entry(task, "completed", ctx.now, actor.user_id, actor.label, data))


def compiled_for(definition: DefinitionSnapshot):
    return load_spec(definition.spec_json, cache_key=definition.spec_cache_key)


def _json_safe(data: dict) -> dict:
    return json.loads(json.dumps(data, ensure_ascii=False, default=str))


def start(ctx: EngineContext, definition: DefinitionSnapshot, data: dict, actor: Actor,
          case: Case | None = None) -> Loaded:
    engine = Instance.start(compiled_for(definition), data, ctx.env)
    row = ProcessInstance(
        definition_id=definition.id, status="running", state_json="{}", serializer_version=SERIALIZER_VERSION,
        data={}, started_at=ctx.now, updated_at=ctx.now, started_by_id=actor.user_id,
    )
    ctx.session.add(row)
    ctx.session.flush()
    if case is not None:
        case.instance_id = row.id
        row.case_id = case.id
    loaded = Loaded(row=row, definition=definition, engine=engine, case=case)
    persist(ctx, loaded, actor, "process_started", {"key": definition.key, "version": definition.version})
    return loaded


def load_locked(ctx: EngineContext, instance_id: int) -> Loaded:
    """Lock the instance row (FOR UPDATE; SQLite already holds the write lock), refresh it, load the engine."""
    return _load(ctx, ProcessInstance.id == instance_id)


def load_locked_for_task(ctx: EngineContext, task_id: str) -> Loaded | None:
    """Lock the instance that owns ready task `task_id` in one statement; None if no such ready task."""
    owner = select(ReadyTask.instance_id).where(ReadyTask.id == task_id).scalar_subquery()
    try:
        return _load(ctx, ProcessInstance.id == owner)
    except NotFound:
        return None


def load_claimed(ctx: EngineContext, row: ProcessInstance) -> Loaded:
    """Load an instance whose row this transaction has just locked and read (e.g. a scheduler claim)."""
    return _load(ctx, None, row)


def load_claimed_many(ctx: EngineContext, rows: list[ProcessInstance]) -> list[Loaded]:
    """`load_claimed` for several locked rows, reading their ready tasks, cases and pending timers
    with one statement each (the scheduler fires a group of instances in one transaction)."""
    session = ctx.session
    ids = [r.id for r in rows]
    ready: dict[int, dict[str, ReadyTask]] = {i: {} for i in ids}
    for t in session.execute(select(ReadyTask).where(ReadyTask.instance_id.in_(ids))
                             .execution_options(populate_existing=True)).scalars():
        ready[t.instance_id][t.id] = t
    timers: dict[int, list[Timer]] = {i: [] for i in ids}
    for t in session.execute(select(Timer).where(Timer.instance_id.in_(ids), Timer.fired_at.is_(None))).scalars():
        timers[t.instance_id].append(t)
    case_ids = [r.case_id for r in rows if r.case_id is not None]
    cases = {c.id: c for c in session.execute(select(Case).where(Case.id.in_(case_ids))).scalars()} if case_ids else {}
    loaded = []
    for row in rows:
        definition, engine = _engine_of(ctx, row)
        loaded.append(Loaded(row=row, definition=definition, engine=engine, case=cases.get(row.case_id),
                             ready_rows=ready[row.id], pending_timers=timers[row.id]))
    return loaded


def _engine_of(ctx: EngineContext, row: ProcessInstance) -> tuple[DefinitionSnapshot, Instance]:
    definition = definitions.definition(ctx.session, row.definition_id)
    return definition, Instance.load(compiled_for(definition), row.state_json, ctx.env)


def _load(ctx: EngineContext, condition, row: ProcessInstance | None = None) -> Loaded:
    session = ctx.session
    if row is None:
        row = session.execute(
            select(ProcessInstance).where(condition).with_for_update().execution_options(populate_existing=True)
        ).scalar_one_or_none()
    if row is None:
        raise NotFound("process instance not found")
    ready_rows = {t.id: t for t in session.execute(
        select(ReadyTask).where(ReadyTask.instance_id == row.id).execution_options(populate_existing=True)).scalars()}
    case = session.get(Case, row.case_id) if row.case_id is not None else None
    definition, engine = _engine_of(ctx, row)
    return Loaded(row=row, definition=definition, engine=engine, case=case, ready_rows=ready_rows)


def persist(ctx: EngineContext, loaded: Loaded, actor: Actor, action: str, detail: dict, public: bool = False) -> None:
    session, now, engine, row, case = ctx.session, ctx.now, loaded.engine, loaded.row, loaded.case
    data = _json_safe(engine.data)
    row.state_json = engine.dump()
    row.serializer_version = SERIALIZER_VERSION
    row.data = data
    row.updated_at = now
    row.lock_version = (row.lock_version or 0) + 1
    if engine.is_completed and row.status != "completed":
        row.status = "completed"
        row.completed_at = now
    ready = _sync_ready_tasks(ctx, loaded, data)
    _sync_timers(ctx, loaded)
    if case is not None:
        _project_case(ctx, case, data, ready, engine.is_completed)
    entries = [_emit(ctx, loaded, event, actor, count, data)
               for event, count in _collapse_repeats(engine.drain_events())]
    entries.append(audit.Entry(actor, action, case.id if case else None, row.id, detail, public))
    audit.append_many(session, now, entries, heads=loaded.audit_heads, sink=loaded.append_only)


def _task_org(ctx: EngineContext, role: str, properties: dict, data: dict) -> int | None:
    variable = properties.get("assigneeOrg") or DEFAULT_ORG_VARIABLE.get(role)
    if not variable:
        return None
    return ctx.directory.id_of(data.get(variable))


def _due(ctx: EngineContext, rule: str | None, data: dict) -> tuple[datetime | None, dict | None]:
    if not rule:
        return None, None
    try:
        deadline = compute_due(rule, ctx.now, ctx.calendar, data)
    except CalendarNotCovered as exc:
        return None, {"rule": rule, "start": ctx.now.isoformat(), "provisional": True, "error": exc.message}
    except ValueError as exc:  # e.g. `until x` while x is not set: the task is open, its deadline unknown
        return None, {"rule": rule, "start": ctx.now.isoformat(), "error": str(exc)}
    return deadline.due_at, {
        "rule": rule, "start": ctx.now.isoformat(), "calendar_version": deadline.calendar_version,
    }


def _sync_ready_tasks(ctx: EngineContext, loaded: Loaded, data: dict) -> list[ReadyTask]:
    session = ctx.session
    existing = loaded.ready_rows
    current = loaded.engine.ready_tasks()
    keep = {t.id for t in current}
    for task_id, row in existing.items():
        if task_id not in keep:
            if task_id not in loaded.completed_task_ids:
                loaded.add_append_only(session, _log_entry(row, "cancelled", ctx.now, None, "", {}))
            if row.role == "complainant" and loaded.case is not None:
                clock_stop.resume(ctx, loaded.case, row)
            session.delete(row)
    result = []
    for task in current:
        row = existing.get(task.id)
        if row is None:
            role = task.lane or "process_owner"
            props = task.properties or {}
            due_at, basis = _due(ctx, props.get("dueRule"), task.data)
            row = ReadyTask(
                id=task.id, instance_id=loaded.row.id, case_id=loaded.case.id if loaded.case else None,
                spec_id=task.spec_id, name=task.name or task.spec_id, process_id=task.process_id, role=role,
                org_id=_task_org(ctx, role, props, task.data), stage=props.get("stage", ""),
                form=props.get("formJsonSchemaFilename"), ui_form=props.get("formUiSchemaFilename"),
                instructions=task.instructions or "", created_at=ctx.now, due_at=due_at,
                due_rule=props.get("dueRule"), due_basis=basis,
            )
            session.add(row)
            if role == "complainant" and loaded.case is not None and props.get("clockStop") == "true":
                clock_stop.pause(ctx, loaded.case, row)
        result.append(row)
    loaded.ready_rows = {r.id: r for r in result}
    return result


def pending_timers(session, instance_id: int) -> list[Timer]:
    return list(session.execute(
        select(Timer).where(Timer.instance_id == instance_id, Timer.fired_at.is_(None))).scalars())


def _sync_timers(ctx: EngineContext, loaded: Loaded) -> None:
    session = ctx.session
    current = {t.task_id: t for t in loaded.engine.waiting_timers()}
    had_timers = loaded.row.next_timer_at is not None
    loaded.row.next_timer_at = min((t.due_at for t in current.values()), default=None)
    if not current and not had_timers:
        return  # nothing waited before and nothing waits now: the projection has no pending rows
    pending = {t.task_id: t for t in (loaded.pending_timers if loaded.pending_timers is not None
                                      else pending_timers(session, loaded.row.id))}
    for task_id, row in pending.items():
        waiting = current.get(task_id)
        if waiting is None:
            # gone: it fired (due passed) or was cancelled with its task
            if row.due_at <= ctx.now:
                row.fired_at = ctx.now
            else:
                session.delete(row)
        elif waiting.due_at != row.due_at:
            if row.due_at <= ctx.now:  # a cycle fired and moved on: keep the firing as history
                row.fired_at = ctx.now
                session.add(_timer_row(loaded, waiting))
            else:
                row.due_at = waiting.due_at
    for task_id, waiting in current.items():
        if task_id not in pending:
            session.add(_timer_row(loaded, waiting))


def _timer_row(loaded: Loaded, waiting) -> Timer:
    return Timer(
        instance_id=loaded.row.id, case_id=loaded.case.id if loaded.case else None, task_id=waiting.task_id,
        spec_id=waiting.spec_id, attached_to=waiting.attached_to, kind=waiting.kind, due_at=waiting.due_at,
    )


def _project_case(ctx: EngineContext, case: Case, data: dict, ready: list[ReadyTask], completed: bool) -> None:
    case.handling_org_id = ctx.directory.id_of(data.get("handling_org")) or case.handling_org_id
    case.supervising_org_id = ctx.directory.id_of(data.get("supervising_org")) or case.supervising_org_id
    stages = [t.stage for t in ready if t.stage]
    if stages:
        case.stage = stages[0]
    if completed:
        case.status = "closed"
        case.outcome = data.get("outcome")
        case.stage = "closed"
        case.closed_at = ctx.now


def _collapse_repeats(events: list[dict]) -> list[tuple[dict, int]]:
    """Identical signals thrown in one step (e.g. reminder cycles that piled up while the scheduler
    was down) become one outbox row carrying the count: sent once, not as a burst."""
    out: dict[str, list] = {}
    for event in events:
        key = json.dumps([event.get("type"), event["name"], event.get("payload")], sort_keys=True, default=str)
        if key in out:
            out[key][1] += 1
        else:
            out[key] = [event, 1]
    return [(event, count) for event, count in out.values()]


def _emit(ctx: EngineContext, loaded: Loaded, event: dict, actor: Actor, count: int, data: dict) -> audit.Entry:
    """The outbox row for a thrown event; returns its audit entry (chained with the step's own)."""
    case = loaded.case
    payload = {"event": event["name"], "payload": _json_safe(event.get("payload") or {}),
               "instance_id": loaded.row.id, "count": count}
    if case is not None:
        payload.update(case_no=case.case_no, credit_record=data.get("credit_record"))
    loaded.add_append_only(ctx.session, OutboxMessage(
        created_at=ctx.now, topic=event["name"], case_id=case.id if case else None, payload=payload,
        next_attempt_at=ctx.now,
    ))
    return audit.Entry(actor, f"event:{event['name']}", case.id if case else None, loaded.row.id,
                       {"event": event["name"], "count": count}, event["name"] in PUBLIC_SIGNALS)
