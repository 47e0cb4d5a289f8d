"""Read side for a case's documents: attachments and internal notes, oldest first.

Callers check that the actor may see the case (and pass public_only for the complainant);
these return plain dicts with aware UTC datetimes and the uploader's / author's labels."""
from __future__ import annotations

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from app.models import Attachment, CaseNote, Org, User


def attachments_for_case(session: Session, case_id: int, *, public_only: bool = False) -> list[dict]:
    q = (
        select(Attachment.id, Attachment.case_id, Attachment.task_id, Attachment.field, Attachment.filename,
               Attachment.content_type, Attachment.size, Attachment.sha256, Attachment.uploaded_at,
               Attachment.uploaded_by_id, Attachment.uploaded_by_label, Attachment.public,
               func.coalesce(User.display_name, Attachment.uploaded_by_label).label("uploaded_by_name"))
        .outerjoin(User, User.id == Attachment.uploaded_by_id)
        .where(Attachment.case_id == case_id)
        .order_by(Attachment.uploaded_at, Attachment.id)
    )
    if public_only:
        q = q.where(Attachment.public.is_(True))
    rows = []
    for row in session.execute(q):
        item = dict(row._mapping)
        item["by_staff"] = item["uploaded_by_id"] is not None
        rows.append(item)
    return rows


def notes_for_case(session: Session, case_id: int) -> list[dict]:
    q = (
        select(CaseNote.id, CaseNote.case_id, CaseNote.task_id, CaseNote.body, CaseNote.created_at,
               CaseNote.author_id, CaseNote.author_label,
               func.coalesce(User.display_name, CaseNote.author_label).label("author_name"),
               CaseNote.org_id, Org.name.label("org_name"))
        .outerjoin(User, User.id == CaseNote.author_id)
        .outerjoin(Org, Org.id == CaseNote.org_id)
        .where(CaseNote.case_id == case_id)
        .order_by(CaseNote.created_at, CaseNote.id)
    )
    return [dict(row._mapping) for row in session.execute(q)]
