"""Deploy process models as new immutable definition versions (only when their content changed)."""
from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

from sqlalchemy import select
from sqlalchemy.orm import Session

from app.engine import build_package, dump_spec, lint
from app.errors import DefinitionInvalid, NotAllowed, Problem
from app.models import ProcessDefinition
from app.models.user import ROLES
from app.policy import Actor, can_deploy
from app.services import audit
from app.services.engine_context import HELPER_NAMES
from app.task_forms import check_supported

KNOWN_LANES = frozenset(ROLES) | {"complainant"}
MAX_FILE_BYTES = 2_000_000


@dataclass
class DeployResult:
    key: str
    version: int
    definition_id: int
    created: bool


def read_model_dir(bpmn_dir: str | Path, forms_dir: str | Path) -> tuple[dict, dict, dict]:
    """Read *.bpmn, *.dmn and forms (*.json) as bytes/objects from the two folders."""
    bpmn_dir, forms_dir = Path(bpmn_dir), Path(forms_dir)
    bpmn = {p.name: p.read_bytes() for p in sorted(bpmn_dir.glob("*.bpmn"))}
    dmn = {p.name: p.read_bytes() for p in sorted(bpmn_dir.glob("*.dmn"))}
    forms = {}
    if forms_dir.is_dir():
        for p in sorted(forms_dir.glob("*.json")):
            forms[p.name] = p.read_bytes()
    return bpmn, dmn, forms


def parse_forms(raw_forms: dict[str, bytes]) -> dict[str, dict]:
    forms, problems = {}, []
    for name, raw in raw_forms.items():
        if len(raw) > MAX_FILE_BYTES:
            problems.append(Problem(message="form file too large", file=name, code="form-size"))
            continue
        try:
            forms[name] = json.loads(raw)
        except (ValueError, UnicodeDecodeError) as exc:
            problems.append(Problem(message=f"form is not valid JSON: {exc}", file=name, code="form-json"))
    if problems:
        raise DefinitionInvalid(problems)
    return forms


def _missing_due_rules(package, key: str) -> list[Problem]:
    """Every user task of a case process (one with lanes) needs a time limit (DESIGN §2)."""
    tasks = package.user_tasks(key)
    if not any(t.lane for t in tasks):
        return []
    return [
        Problem(message="user task has no dueRule (e.g. '10 workdays', '5 days', 'until rectify_deadline')",
                file=package.file_of(t.process_id), element_id=t.spec_id, element_name=t.name or "", code="no-due-rule")
        for t in tasks if not (t.properties or {}).get("dueRule")
    ]


def bundle_problems(package, forms: dict[str, dict]) -> list[Problem]:
    """Every lint problem of a parsed bundle: unsupported forms, then each root process's rules."""
    problems: list[Problem] = []
    for name, schema in forms.items():
        if name.endswith(".schema.json"):
            ui = forms.get(name.replace(".schema.json", ".ui.json"))
            problems += [Problem(message=m, file=name, code="form-unsupported") for m in check_supported(schema, ui)]
    for key in package.root_process_ids:
        problems += lint(package, key, forms, set(KNOWN_LANES), set(HELPER_NAMES))
        problems += _missing_due_rules(package, key)
    return problems


def _bundle_hash(key: str, bpmn: dict, dmn: dict, forms: dict) -> str:
    h = hashlib.sha256(key.encode())
    for group in (bpmn, dmn, forms):
        for name in sorted(group):
            h.update(name.encode() + b"\0")
            h.update(group[name] if isinstance(group[name], bytes) else json.dumps(group[name], sort_keys=True).encode())
            h.update(b"\0")
    return h.hexdigest()


def deploy_files(
    session: Session,
    actor: Actor,
    now: datetime,
    bpmn: dict[str, bytes],
    dmn: dict[str, bytes],
    raw_forms: dict[str, bytes],
    change_note: str = "",
) -> list[DeployResult]:
    """Parse, lint and store every root process of the bundle; a process whose bundle hash equals
    its latest version is left alone. Nothing is written unless every root process lints clean."""
    if not can_deploy(actor):
        raise NotAllowed("only process owners may deploy models")
    forms = parse_forms(raw_forms)
    package = build_package(bpmn, dmn)
    problems = bundle_problems(package, forms)
    if problems:
        raise DefinitionInvalid(problems)
    compiled = {key: package.compile(key) for key in package.root_process_ids}

    results = []
    for key in package.root_process_ids:
        digest = _bundle_hash(key, bpmn, dmn, forms)
        latest = session.execute(
            select(ProcessDefinition).where(ProcessDefinition.key == key).order_by(ProcessDefinition.version.desc()).limit(1)
        ).scalar_one_or_none()
        if latest is not None and latest.sha256 == digest:
            results.append(DeployResult(key, latest.version, latest.id, False))
            continue
        user_tasks = package.user_tasks(key)
        definition = ProcessDefinition(
            key=key,
            name=key,
            version=(latest.version + 1) if latest else 1,
            sha256=digest,
            files={
                "bpmn": {n: b.decode("utf-8") for n, b in bpmn.items()},
                "dmn": {n: b.decode("utf-8") for n, b in dmn.items()},
                "forms": forms,
            },
            spec_json=dump_spec(compiled[key]),
            has_lanes=any(t.lane for t in user_tasks),
            deployed_at=now,
            deployed_by_id=actor.user_id,
            change_note=change_note,
        )
        session.add(definition)
        session.flush()
        audit.append(session, actor, "definition_deployed", now,
                     detail={"key": key, "version": definition.version, "sha256": digest, "note": change_note})
        results.append(DeployResult(key, definition.version, definition.id, True))
    return results


def deploy_dirs(session: Session, actor: Actor, now: datetime, bpmn_dir, forms_dir, change_note="") -> list[DeployResult]:
    bpmn, dmn, forms = read_model_dir(bpmn_dir, forms_dir)
    if not bpmn:
        raise DefinitionInvalid([Problem(message=f"no .bpmn files in {bpmn_dir}", code="empty")])
    return deploy_files(session, actor, now, bpmn, dmn, forms, change_note)
