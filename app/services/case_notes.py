"""Internal notes (comments) staff write on a case; the complainant never sees them."""
from __future__ import annotations

import hashlib
from datetime import datetime

from sqlalchemy.orm import Session

from app.errors import InvalidSubmission, NotFound
from app.models import Case, CaseNote
from app.policy import Actor, can_add_note
from app.services import audit

MAX_NOTE_CHARS = 4000
_MESSAGES = {
    "empty": {"zh": "请填写备注内容", "en": "write something in the note"},
    "too_long": {"zh": "备注最多 {limit} 个字符（当前 {length} 个）",
                 "en": "a note may have at most {limit} characters (this one has {length})"},
}


def _message(key: str, locale: str, **params) -> str:
    table = _MESSAGES[key]
    return table.get(locale, table["zh"]).format(**params)


def add_note(session: Session, now: datetime, actor: Actor, case: Case, body, task_id: str | None = None,
             locale: str = "zh") -> CaseNote:
    """Staff who may view the case add a note (1..4000 characters after stripping); audited
    `note_added` (not public; the audit entry keeps the text's sha256, so an edited note shows)."""
    if case is None or not can_add_note(actor, case):
        raise NotFound("case not found")
    text = body.strip() if isinstance(body, str) else ""
    if not text:
        raise InvalidSubmission({"body": [_message("empty", locale)]})
    if len(text) > MAX_NOTE_CHARS:
        raise InvalidSubmission({"body": [_message("too_long", locale, limit=MAX_NOTE_CHARS, length=len(text))]})
    note = CaseNote(case_id=case.id, task_id=task_id or None, author_id=actor.user_id, author_label=actor.label,
                    org_id=actor.org_id, body=text, created_at=now)
    session.add(note)
    session.flush()
    audit.append(session, actor, "note_added", now, case_id=case.id, instance_id=case.instance_id,
                 detail={"note_id": note.id, "task_id": note.task_id, "chars": len(text),
                         "sha256": hashlib.sha256(text.encode()).hexdigest()})
    return note
