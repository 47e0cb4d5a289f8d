"""Process-model management: the models page, validating and deploying uploads, dry runs, diffs.

Uploaded files are untrusted: `validate_upload` never raises for bad content, it returns Problems
naming the file (and element). `deploy_upload` deploys only a bundle without problems, through
`deployment.deploy_files` (hardened parser, lint, a new immutable version only on change).
"""
from __future__ import annotations

import json
import re
from collections import defaultdict
from dataclasses import asdict, dataclass, field
from datetime import datetime

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from app.engine import Instance, build_package, first_due
from app.engine.model_diff import diff_versions
from app.errors import (DefinitionInvalid, DomainError, InvalidSubmission, NotAllowed, NotFound, ProcessError,
                        Problem, TaskNotAvailable)
from app.models import ProcessDefinition, ProcessInstance, User
from app.policy import Actor, can_deploy, can_view_models
from app.services import definitions
from app.services.deployment import DeployResult, bundle_problems, deploy_files
from app.services.engine_context import EngineContext
from app.services.workflow import compiled_for
from app.task_forms import collect_errors

MAX_FILE_BYTES = 2_000_000
MAX_FILES = 200
MAX_DRY_RUN_STEPS = 200
SAFE_NAME = re.compile(r"^\w[\w.\- ()]{0,150}$")


@dataclass
class Bundle:
    bpmn: dict[str, bytes] = field(default_factory=dict)
    dmn: dict[str, bytes] = field(default_factory=dict)
    forms: dict[str, bytes] = field(default_factory=dict)


def require_viewer(actor: Actor) -> None:
    if not can_view_models(actor):
        raise NotAllowed("only process owners and administrators may manage process models")


def require_owner(actor: Actor) -> None:
    if not can_deploy(actor):
        raise NotAllowed("only process owners may deploy models or migrate cases")


# -- the models page --------------------------------------------------------------------------
def list_processes(session: Session) -> list[dict]:
    """Every process key with its versions (newest first) and running cases per version."""
    running = dict(session.execute(
        select(ProcessInstance.definition_id, func.count(ProcessInstance.id))
        .where(ProcessInstance.status == "running").group_by(ProcessInstance.definition_id)).all())
    rows = session.execute(
        select(ProcessDefinition.id, ProcessDefinition.key, ProcessDefinition.name, ProcessDefinition.version,
               ProcessDefinition.sha256, ProcessDefinition.deployed_at, ProcessDefinition.change_note,
               User.username, User.display_name)
        .outerjoin(User, User.id == ProcessDefinition.deployed_by_id)
        .order_by(ProcessDefinition.key, ProcessDefinition.version.desc())).all()
    by_key: dict[str, list[dict]] = defaultdict(list)
    for r in rows:
        by_key[r.key].append({
            "definition_id": r.id, "version": r.version, "sha256": r.sha256,
            "deployed_at": r.deployed_at.isoformat() if r.deployed_at else None,
            "deployed_by": r.username or "system", "deployed_by_name": r.display_name or "",
            "change_note": r.change_note or "", "running_cases": running.get(r.id, 0),
        })
    return [{"key": key, "latest_version": versions[0]["version"], "versions": versions,
             "running_cases": sum(v["running_cases"] for v in versions)} for key, versions in by_key.items()]


# -- validation ----------------------------------------------------------------------------------
def classify(files: dict[str, bytes], max_file_bytes: int = MAX_FILE_BYTES,
             max_total_bytes: int | None = None) -> tuple[Bundle, list[Problem]]:
    """Sort files by extension and apply the size caps; problems name the file."""
    bundle, problems = Bundle(), []
    max_total = max_total_bytes or max_file_bytes * 5
    if not files:
        return bundle, [Problem(message="no files uploaded", code="empty")]
    if len(files) > MAX_FILES:
        return bundle, [Problem(message=f"too many files ({len(files)}; at most {MAX_FILES})", code="size")]
    total = sum(len(b) for b in files.values() if isinstance(b, (bytes, bytearray)))
    if total > max_total:
        return bundle, [Problem(message=f"the upload is too large ({total} bytes; the limit is {max_total})", code="size")]
    for name, data in files.items():
        if not isinstance(name, str) or not SAFE_NAME.match(name):
            problems.append(Problem(message="a file name may use letters, digits, spaces and _ - . ( ) only",
                                    file=str(name)[:150], code="file-name"))
            continue
        if not isinstance(data, (bytes, bytearray)):
            problems.append(Problem(message="file content must be bytes", file=name, code="file"))
            continue
        if len(data) > max_file_bytes:
            problems.append(Problem(message=f"file is too large ({len(data)} bytes; the limit is {max_file_bytes})",
                                    file=name, code="size"))
            continue
        if not data.strip():
            problems.append(Problem(message="file is empty", file=name, code="empty"))
            continue
        lower = name.lower()
        if lower.endswith((".bpmn", ".dmn")):
            try:
                bytes(data).decode("utf-8")
            except UnicodeDecodeError as exc:
                problems.append(Problem(message=f"not UTF-8 text (binary file?): byte {exc.start}", file=name,
                                        code="encoding"))
                continue
            (bundle.bpmn if lower.endswith(".bpmn") else bundle.dmn)[name] = bytes(data)
        elif lower.endswith(".json"):
            bundle.forms[name] = bytes(data)
        else:
            problems.append(Problem(message="unsupported file type (expected .bpmn, .dmn or .json forms)",
                                    file=name, code="file-type"))
    return bundle, problems


def _parse_forms(raw: dict[str, bytes]) -> tuple[dict[str, dict], list[Problem]]:
    forms, problems = {}, []
    for name, data in raw.items():
        try:
            value = json.loads(bytes(data).decode("utf-8"))
        except (ValueError, UnicodeDecodeError) as exc:
            problems.append(Problem(message=f"form is not valid JSON: {exc}", file=name, code="form-json"))
            continue
        if not isinstance(value, dict):
            problems.append(Problem(message="a form file must hold a JSON object", file=name, code="form-json"))
            continue
        forms[name] = value
    return forms, problems


def _check(bundle: Bundle) -> tuple[object | None, dict[str, dict], list[Problem]]:
    """(package or None, parsed forms, problems) — never raises for bad content."""
    forms, problems = _parse_forms(bundle.forms)
    if not bundle.bpmn:
        return None, forms, problems + [Problem(message="no BPMN file in the upload", code="empty")]
    try:
        package = build_package(bundle.bpmn, bundle.dmn)
    except DefinitionInvalid as exc:
        return None, forms, problems + exc.problems
    except Exception as exc:  # noqa: BLE001 - a parser bug must become a message, not a 500
        return None, forms, problems + [Problem(message=f"cannot parse the models: {type(exc).__name__}: {exc}",
                                                code="bpmn")]
    if not package.root_process_ids:
        problems.append(Problem(message="no executable process (isExecutable=\"true\") in the upload",
                                file=next(iter(bundle.bpmn)), code="no-process"))
    if problems:  # broken forms would only add follow-up noise to the lint
        return package, forms, problems
    try:
        problems += bundle_problems(package, forms)
    except DefinitionInvalid as exc:
        problems += exc.problems
    except Exception as exc:  # noqa: BLE001
        problems.append(Problem(message=f"cannot check the models: {type(exc).__name__}: {exc}", code="bpmn"))
    return package, forms, problems


def validate_upload(files: dict[str, bytes], max_file_bytes: int = MAX_FILE_BYTES,
                    max_total_bytes: int | None = None) -> list[Problem]:
    """Every problem of an upload (size, type, XML, BPMN/DMN parse, lint); empty = deployable."""
    bundle, problems = classify(files, max_file_bytes, max_total_bytes)
    if problems:
        return problems
    return _check(bundle)[2]


def with_base(session: Session, base_key: str | None, files: dict[str, bytes]) -> dict[str, bytes]:
    """The latest deployed files of `base_key` with `files` put over them (for partial uploads)."""
    if not base_key:
        return dict(files)
    row = session.execute(select(ProcessDefinition).where(ProcessDefinition.key == base_key)
                          .order_by(ProcessDefinition.version.desc()).limit(1)).scalar_one_or_none()
    if row is None:
        raise NotFound(f"no deployed process {base_key!r}")
    merged = {n: x.encode("utf-8") for group in ("bpmn", "dmn") for n, x in (row.files.get(group) or {}).items()}
    merged.update({n: json.dumps(f, ensure_ascii=False).encode("utf-8") for n, f in (row.files.get("forms") or {}).items()})
    merged.update(files)
    return merged


# -- deploy ----------------------------------------------------------------------------------------
def deploy_upload(ctx: EngineContext, actor: Actor, files: dict[str, bytes], change_note: str = "",
                  max_file_bytes: int = MAX_FILE_BYTES) -> list[DeployResult]:
    """Process owners only. Refuses (DefinitionInvalid) any upload with a problem; unchanged
    processes keep their version. Writes in the caller's transaction (audited by deploy_files)."""
    require_owner(actor)
    if not isinstance(change_note, str) or len(change_note) > 2000:
        raise InvalidSubmission({"change_note": ["at most 2000 characters"]})
    problems = validate_upload(files, max_file_bytes)
    if problems:
        raise DefinitionInvalid(problems)
    bundle, _ = classify(files, max_file_bytes)
    try:
        return deploy_files(ctx.session, actor, ctx.now, bundle.bpmn, bundle.dmn, bundle.forms, change_note.strip())
    except DomainError:
        raise
    except Exception as exc:  # noqa: BLE001 - the caller rolls back; nothing half-deployed
        raise DefinitionInvalid([Problem(message=f"cannot deploy: {type(exc).__name__}: {exc}", code="deploy")]) from exc


# -- dry run -------------------------------------------------------------------------------------
def _snapshot(instance: Instance, step: int, action: str) -> dict:
    return {
        "step": step, "action": action, "completed": instance.is_completed,
        "ready_tasks": [{"id": t.id, "task": t.spec_id, "name": t.name, "lane": t.lane, "process_id": t.process_id,
                         "properties": t.properties, "instructions": t.instructions} for t in instance.ready_tasks()],
        "waiting_timers": [{"element_id": w.spec_id, "kind": w.kind, "due_at": w.due_at.isoformat(),
                            "attached_to": w.attached_to} for w in instance.waiting_timers()],
        "data": json.loads(json.dumps(instance.data, ensure_ascii=False, default=str)),
    }


def _error(step: int, action: str, exc: DomainError) -> dict:
    body = {"step": step, "action": action, "error": type(exc).__name__, "message": exc.message or str(exc)}
    if isinstance(exc, ProcessError) and exc.element_id:
        body["element_id"] = exc.element_id
    if isinstance(exc, InvalidSubmission):
        body["errors"] = exc.errors
    return body


DRY_RUN_TIMER_STEPS = True  # dry_run accepts {"fire_timer": element id} steps (the dry-run page asks)


def dry_run(ctx: EngineContext, files: dict[str, bytes], process_key: str, sample_data: dict,
            steps: list[dict], max_file_bytes: int = MAX_FILE_BYTES) -> dict:
    """Start a throw-away instance in memory and complete `steps` ({task: element id, data}, or
    {fire_timer: element id} to make a waiting timer due now) in turn.
    Nothing is written. Returns {problems (lint, informative), steps: [state after each step],
    error: {step, element_id, message} or None}. Unparseable models raise DefinitionInvalid."""
    if not isinstance(sample_data, dict):
        raise InvalidSubmission({"data": ["must be an object"]})
    if not isinstance(steps, list) or len(steps) > MAX_DRY_RUN_STEPS or not all(isinstance(s, dict) for s in steps):
        raise InvalidSubmission({"steps": [f"a list of at most {MAX_DRY_RUN_STEPS} objects {{task, data}}"]})
    bundle, problems = classify(files, max_file_bytes)
    if problems:
        raise DefinitionInvalid(problems)
    package, forms, problems = _check(bundle)
    if package is None:
        raise DefinitionInvalid(problems)
    if not isinstance(process_key, str) or not package.has_process(process_key):
        raise InvalidSubmission({"process_key": [f"not a process of the upload ({', '.join(package.root_process_ids)})"]})
    try:
        compiled = package.compile(process_key)
    except DefinitionInvalid:
        raise
    except Exception as exc:  # noqa: BLE001
        raise DefinitionInvalid([Problem(message=f"{type(exc).__name__}: {exc}", code="bpmn")]) from exc
    result = {"problems": [p.as_dict() for p in problems], "steps": [], "error": None}
    try:
        instance = Instance.start(compiled, sample_data, ctx.env)
    except (ProcessError, InvalidSubmission) as exc:
        result["error"] = _error(0, "start", exc)
        return result
    result["steps"].append(_snapshot(instance, 0, "start"))
    for n, step in enumerate(steps, start=1):
        if "fire_timer" in step:
            timer = str(step.get("fire_timer") or "")
            try:
                instance.fire_timer(timer)
            except DomainError as exc:
                result["error"] = _error(n, timer, exc)
                return result
            result["steps"].append(_snapshot(instance, n, timer))
            continue
        element, data = step.get("task"), step.get("data", {})
        try:
            task = next((t for t in instance.ready_tasks() if element in (t.spec_id, t.id)), None)
            if task is None:
                raise TaskNotAvailable(f"task {element!r} is not ready (ready: "
                                       f"{', '.join(t.spec_id for t in instance.ready_tasks()) or 'none'})")
            schema = forms.get(task.properties.get("formJsonSchemaFilename") or "")
            if schema is not None and isinstance(data, dict):
                errors = collect_errors(schema, data, locale="en", org_codes=set(ctx.directory.by_code))
                if errors:
                    raise InvalidSubmission(errors)
            instance.complete_task(task.id, data)
        except DomainError as exc:
            result["error"] = _error(n, str(element), exc)
            return result
        result["steps"].append(_snapshot(instance, n, str(element)))
    return result


# -- diff ------------------------------------------------------------------------------------------
def definition_row(session: Session, key: str, version) -> ProcessDefinition:
    try:
        version = int(version)
    except (TypeError, ValueError):
        raise InvalidSubmission({"version": ["must be a version number"]}) from None
    row = session.execute(select(ProcessDefinition).where(
        ProcessDefinition.key == key, ProcessDefinition.version == version)).scalar_one_or_none()
    if row is None:
        raise NotFound(f"process {key!r} has no version {version}")
    return row


def version_diff(session: Session, key: str, from_version, to_version) -> dict:
    old = definitions.definition(session, definition_row(session, key, from_version).id)
    new = definitions.definition(session, definition_row(session, key, to_version).id)
    diff = diff_versions(compiled_for(old), compiled_for(new))
    return {"key": key, "from_version": old.version, "to_version": new.version, **asdict(diff)}


def timer_first_due(kind: str, value, armed_at: datetime) -> tuple[datetime, int | None]:
    """The engine's own reading of an evaluated timer expression (the modeler's preview): when a
    timer armed at `armed_at` first fires, and a cycle's repetitions (None: without end).
    A ValueError when the value is not what `kind` needs."""
    return first_due(kind, value, armed_at)
