"""A working copy (draft) per process while a process owner edits it in the browser.

Saving never lints-to-refuse (a draft may be half-done); it returns the current problems so the
editor can show them. Deploying a draft runs the full checks and removes the draft on success."""
from __future__ import annotations

import json

from sqlalchemy import select
from sqlalchemy.orm import Session

from app.errors import InvalidSubmission, NotFound
from app.models import ModelDraft, ProcessDefinition
from app.policy import Actor
from app.services import audit
from app.services.deployment import DeployResult
from app.services.engine_context import EngineContext
from app.services.model_admin import (MAX_FILE_BYTES, classify, deploy_upload, require_owner, require_viewer,
                                      validate_upload)


def _as_bytes(files: dict[str, str]) -> dict[str, bytes]:
    return {name: text.encode("utf-8") for name, text in files.items()}


def _latest_files(session: Session, key: str) -> dict[str, str] | None:
    row = session.execute(select(ProcessDefinition).where(ProcessDefinition.key == key)
                          .order_by(ProcessDefinition.version.desc()).limit(1)).scalar_one_or_none()
    if row is None:
        return None
    files = {**row.files.get("bpmn", {}), **row.files.get("dmn", {})}
    files.update({name: json.dumps(form, ensure_ascii=False, indent=2) for name, form in row.files.get("forms", {}).items()})
    return files


def get_draft(session: Session, actor: Actor, key: str) -> dict:
    """The draft of `key`, or (when there is none) the latest deployed files as its starting point."""
    require_viewer(actor)
    draft = session.get(ModelDraft, key)
    if draft is not None:
        return {"key": key, "is_draft": True, "files": draft.files, "note": draft.note,
                "updated_at": draft.updated_at.isoformat(), "updated_by_id": draft.updated_by_id}
    files = _latest_files(session, key)
    if files is None:
        raise NotFound(f"no process {key!r} and no draft of it")
    return {"key": key, "is_draft": False, "files": files, "note": ""}


def save_draft(ctx: EngineContext, actor: Actor, key: str, files: dict, note: str = "",
               max_file_bytes: int = MAX_FILE_BYTES) -> list:
    """Store the working copy; returns the problems it has now (a draft may have some)."""
    require_owner(actor)
    if not isinstance(files, dict) or not all(isinstance(k, str) and isinstance(v, str) for k, v in files.items()):
        raise InvalidSubmission({"files": ["an object of {file name: text}"]})
    if not isinstance(note, str) or len(note) > 2000:
        raise InvalidSubmission({"note": ["at most 2000 characters"]})
    raw = _as_bytes(files)
    _bundle, file_problems = classify(raw, max_file_bytes)
    hard = [p for p in file_problems if p.code in ("size", "file-name", "file-type", "empty", "encoding")]
    if hard:
        raise InvalidSubmission({"files": [f"{p.file}: {p.message}" if p.file else p.message for p in hard]})
    draft = ctx.session.get(ModelDraft, key)
    if draft is None:
        draft = ModelDraft(key=key, files=files, note=note, updated_at=ctx.now, updated_by_id=actor.user_id)
        ctx.session.add(draft)
    else:
        draft.files, draft.note, draft.updated_at, draft.updated_by_id = files, note, ctx.now, actor.user_id
    audit.append(ctx.session, actor, "draft_saved", ctx.now, detail={"key": key, "files": sorted(files)})
    return validate_upload(raw, max_file_bytes)


def discard_draft(ctx: EngineContext, actor: Actor, key: str) -> None:
    require_owner(actor)
    draft = ctx.session.get(ModelDraft, key)
    if draft is None:
        raise NotFound(f"no draft of {key!r}")
    ctx.session.delete(draft)
    audit.append(ctx.session, actor, "draft_discarded", ctx.now, detail={"key": key})


def deploy_draft(ctx: EngineContext, actor: Actor, key: str, change_note: str,
                 max_file_bytes: int = MAX_FILE_BYTES) -> list[DeployResult]:
    """Full checks, then new versions; the draft goes away only when the deploy succeeds."""
    require_owner(actor)
    draft = ctx.session.get(ModelDraft, key)
    if draft is None:
        raise NotFound(f"no draft of {key!r}")
    results = deploy_upload(ctx, actor, _as_bytes(draft.files), change_note or draft.note, max_file_bytes)
    ctx.session.delete(draft)
    return results
