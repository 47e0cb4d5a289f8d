"""Moving running cases from one deployed version of a process to another.

`plan` lists the running instances of a version (optionally one stage / one org) and says for each
whether it can move (`app.engine.model_diff`: SpiffWorkflow's diff plus our policy, tried on a
throw-away copy). `migrate_batch` moves the chosen ones, each under its row lock, in the caller's
transaction: the engine state, `definition_id`, the projections (`workflow.persist`: a ready task
the engine keeps keeps its row and due date; waiting timers keep their due times) and one audit
entry per case, plus one for the batch. A case that cannot move is reported with the reason and
left untouched (its savepoint is rolled back).
"""
from __future__ import annotations

from dataclasses import dataclass, field

from sqlalchemy import select

from app.engine import model_diff
from app.errors import DomainError, InvalidSubmission, NotFound
from app.models import Case, Org, ProcessInstance
from app.policy import Actor
from app.services import audit, definitions, workflow
from app.services.definitions import DefinitionSnapshot
from app.services.engine_context import EngineContext
from app.services.model_admin import definition_row, require_owner, require_viewer

MAX_PLAN = 500
MAX_BATCH = 200


@dataclass
class MigrationCandidate:
    instance_id: int
    case_no: str | None
    stage: str | None
    org_code: str | None
    can_move: bool
    reason: str = ""
    element_id: str = ""
    changed_tasks: list[str] = field(default_factory=list)


@dataclass
class MigrationReport:
    key: str
    from_version: int
    to_version: int
    moved: list[dict] = field(default_factory=list)  # {instance_id, case_no}
    refused: list[dict] = field(default_factory=list)  # {instance_id, case_no, reason, element_id}


def _versions(ctx: EngineContext, key: str, from_version, to_version) -> tuple[DefinitionSnapshot, DefinitionSnapshot]:
    old_row, new_row = definition_row(ctx.session, key, from_version), definition_row(ctx.session, key, to_version)
    if old_row.id == new_row.id:
        raise InvalidSubmission({"to_version": ["must differ from from_version"]})
    return definitions.definition(ctx.session, old_row.id), definitions.definition(ctx.session, new_row.id)


def plan(ctx: EngineContext, actor: Actor, key: str, from_version, to_version, stage: str | None = None,
         org_code: str | None = None) -> list[MigrationCandidate]:
    """Running instances of `from_version` (at most MAX_PLAN, oldest first) and whether each can move."""
    require_viewer(actor)
    old, new = _versions(ctx, key, from_version, to_version)
    query = (select(ProcessInstance, Case, Org.code)
             .outerjoin(Case, Case.instance_id == ProcessInstance.id)
             .outerjoin(Org, Org.id == Case.handling_org_id)
             .where(ProcessInstance.definition_id == old.id, ProcessInstance.status == "running")
             .order_by(ProcessInstance.id).limit(MAX_PLAN))
    if stage:
        query = query.where(Case.stage == stage)
    if org_code:
        query = query.where(Org.code == org_code)
    compiled_old, compiled_new = workflow.compiled_for(old), workflow.compiled_for(new)
    out = []
    for row, case, org in ctx.session.execute(query).all():
        try:
            check = model_diff.check_migration(compiled_old, compiled_new, row.state_json, ctx.env)
        except DomainError as exc:  # e.g. a state that no longer loads
            check = model_diff.MigrationCheck(False, exc.message or str(exc))
        except Exception as exc:  # noqa: BLE001 - one odd case is reported on its row, never fails the plan
            check = model_diff.MigrationCheck(False, f"cannot be checked: {type(exc).__name__}: {exc}")
        out.append(MigrationCandidate(row.id, case.case_no if case else None, case.stage if case else None, org,
                                      check.ok, check.reason, check.element_id, check.changed_tasks))
    return out


def _refresh_task_rows(loaded: workflow.Loaded) -> None:
    """Ready tasks that survived keep their row (and due date); their label, form, stage and
    instructions follow the new version."""
    for task in loaded.engine.ready_tasks():
        row = loaded.ready_rows.get(task.id)
        if row is None:
            continue
        props = task.properties or {}
        row.name = task.name or task.spec_id
        row.form = props.get("formJsonSchemaFilename")
        row.ui_form = props.get("formUiSchemaFilename")
        row.stage = props.get("stage", "") or row.stage
        row.instructions = task.instructions or ""


def _move_one(ctx: EngineContext, actor: Actor, instance_id: int, old: DefinitionSnapshot,
              new: DefinitionSnapshot) -> workflow.Loaded:
    loaded = workflow.load_locked(ctx, instance_id)
    if loaded.row.definition_id != old.id:
        raise InvalidSubmission({"instance_ids": [f"instance {instance_id} is not on version {old.version}"]})
    if loaded.row.status != "running":
        raise InvalidSubmission({"instance_ids": [f"instance {instance_id} is not running"]})
    moved = model_diff.migrate_instance(loaded.engine, workflow.compiled_for(new))
    loaded.engine, loaded.definition = moved, new
    loaded.row.definition_id = new.id
    workflow.persist(ctx, loaded, actor, "case_migrated",
                     {"key": new.key, "from_version": old.version, "to_version": new.version,
                      "from_definition_id": old.id, "to_definition_id": new.id})
    _refresh_task_rows(loaded)
    return loaded


def _reason(exc: Exception, instance_id: int) -> str:
    if isinstance(exc, InvalidSubmission):
        return "; ".join(m for msgs in exc.errors.values() for m in msgs)
    if isinstance(exc, NotFound):
        return f"instance {instance_id} not found"
    if isinstance(exc, DomainError):
        return exc.message or str(exc)
    return f"unexpected error, nothing was changed for this case: {type(exc).__name__}: {exc}"


def _element(exc: Exception) -> str:
    details = exc.details if isinstance(exc, DomainError) else {}
    return getattr(exc, "element_id", "") or details.get("element_id", "") or ""


def migrate_batch(ctx: EngineContext, actor: Actor, key: str, from_version, to_version,
                  instance_ids: list[int]) -> MigrationReport:
    """Move the given instances (process owners only); one audited batch in the caller's transaction."""
    require_owner(actor)
    if (not isinstance(instance_ids, list) or not instance_ids or len(instance_ids) > MAX_BATCH
            or not all(isinstance(i, int) and not isinstance(i, bool) for i in instance_ids)):
        raise InvalidSubmission({"instance_ids": [f"a list of 1 to {MAX_BATCH} instance ids"]})
    old, new = _versions(ctx, key, from_version, to_version)
    report = MigrationReport(key, old.version, new.version)
    cases = dict(ctx.session.execute(select(Case.instance_id, Case.case_no)
                                     .where(Case.instance_id.in_(instance_ids))).all())
    for instance_id in sorted(set(instance_ids)):  # one lock order for every batch
        entry = {"instance_id": instance_id, "case_no": cases.get(instance_id)}
        savepoint = ctx.session.begin_nested()
        try:
            _move_one(ctx, actor, instance_id, old, new)
            savepoint.commit()
        except Exception as exc:  # noqa: BLE001 - one case's failure is reported, the batch goes on
            savepoint.rollback()
            report.refused.append({**entry, "reason": _reason(exc, instance_id), "element_id": _element(exc)})
            continue
        report.moved.append(entry)
    audit.append(ctx.session, actor, "cases_migrated", ctx.now,
                 detail={"key": key, "from_version": old.version, "to_version": new.version,
                         "moved": [m["instance_id"] for m in report.moved],
                         "refused": [{"instance_id": r["instance_id"], "reason": r["reason"][:300]}
                                     for r in report.refused]})
    return report

