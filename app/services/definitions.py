"""Deployed definitions as immutable in-process snapshots (a deployed version never changes)."""
from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.orm import Session

from app.errors import NotFound
from app.models import ProcessDefinition
from app.services.reference_cache import database_key


@dataclass(frozen=True)
class DefinitionSnapshot:
    id: int
    key: str
    version: int
    sha256: str
    forms: dict
    spec_json: str

    @property
    def spec_cache_key(self) -> str:
        return f"def-{self.id}-{self.sha256[:16]}"

    def form(self, name: str | None) -> dict | None:
        return self.forms.get(name) if name else None


_snapshots: dict[tuple[str, int], DefinitionSnapshot] = {}


def snapshot_of(row: ProcessDefinition, db_key: str) -> DefinitionSnapshot:
    snap = DefinitionSnapshot(id=row.id, key=row.key, version=row.version, sha256=row.sha256,
                              forms=row.files.get("forms", {}), spec_json=row.spec_json)
    _snapshots[(db_key, row.id)] = snap
    return snap


def definition(session: Session, definition_id: int) -> DefinitionSnapshot:
    db_key = database_key(session)
    snap = _snapshots.get((db_key, definition_id))
    if snap is not None:
        return snap
    row = session.get(ProcessDefinition, definition_id)
    if row is None:
        raise NotFound("process definition not found")
    return snapshot_of(row, db_key)


def latest(session: Session, key: str) -> DefinitionSnapshot | None:
    """The newest deployed version of `key` (one indexed id lookup; the row itself is cached)."""
    definition_id = session.execute(
        select(ProcessDefinition.id).where(ProcessDefinition.key == key)
        .order_by(ProcessDefinition.version.desc()).limit(1)
    ).scalar_one_or_none()
    return definition(session, definition_id) if definition_id is not None else None
