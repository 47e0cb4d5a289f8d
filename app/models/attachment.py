"""Files attached to a case (the bytes live outside the database, addressed by their sha256)."""
from __future__ import annotations

from datetime import datetime

from sqlalchemy import Boolean, ForeignKey, String
from sqlalchemy.orm import Mapped, mapped_column

from app.db import Base


class Attachment(Base):
    """One uploaded file of a case. `public` files are visible to the complainant too."""

    __tablename__ = "attachments"

    id: Mapped[int] = mapped_column(primary_key=True)
    case_id: Mapped[int] = mapped_column(ForeignKey("cases.id"), index=True)
    task_id: Mapped[str | None] = mapped_column(String(36))  # the task it was uploaded for
    field: Mapped[str | None] = mapped_column(String(200))  # the form field path
    filename: Mapped[str] = mapped_column(String(255))  # original name, sanitised
    content_type: Mapped[str] = mapped_column(String(120))  # from the content, never the browser's claim
    size: Mapped[int]
    sha256: Mapped[str] = mapped_column(String(64), index=True)
    uploaded_at: Mapped[datetime]
    uploaded_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    uploaded_by_label: Mapped[str] = mapped_column(String(120))
    public: Mapped[bool] = mapped_column(Boolean, default=False)
