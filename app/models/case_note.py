"""Internal notes (comments) staff write on a case; never shown to the complainant."""
from __future__ import annotations

from datetime import datetime

from sqlalchemy import ForeignKey, Index, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from app.db import Base


class CaseNote(Base):
    __tablename__ = "case_notes"
    __table_args__ = (Index("ix_case_notes_case_created", "case_id", "created_at"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    case_id: Mapped[int] = mapped_column(ForeignKey("cases.id"))
    task_id: Mapped[str | None] = mapped_column(String(36))  # the task page it was written on
    author_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    author_label: Mapped[str] = mapped_column(String(120))
    org_id: Mapped[int | None] = mapped_column(ForeignKey("orgs.id"))  # the author's org when writing
    body: Mapped[str] = mapped_column(Text)
    created_at: Mapped[datetime]
