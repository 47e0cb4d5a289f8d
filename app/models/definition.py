"""Deployed process definitions: immutable versions of a model bundle."""
from __future__ import annotations

from datetime import datetime

from sqlalchemy import JSON, ForeignKey, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from app.db import Base


class ProcessDefinition(Base):
    """One deployed version of a process (key = its root BPMN process id).

    `files` holds {"bpmn": {name: xml}, "dmn": {name: xml}, "forms": {name: json-object}};
    `spec_json` is the serialized SpiffWorkflow spec, stored once per version."""

    __tablename__ = "process_definitions"
    __table_args__ = (UniqueConstraint("key", "version"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    key: Mapped[str] = mapped_column(String(120), index=True)
    name: Mapped[str] = mapped_column(String(200))
    version: Mapped[int]
    sha256: Mapped[str] = mapped_column(String(64))
    files: Mapped[dict] = mapped_column(JSON)
    spec_json: Mapped[str] = mapped_column(Text)
    has_lanes: Mapped[bool]
    deployed_at: Mapped[datetime]
    deployed_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    change_note: Mapped[str] = mapped_column(Text, default="")


class ModelDraft(Base):
    """The working copy of one process's files while a process owner edits it (at most one per key).
    Not linted on save (a draft may be half-done); deploying it goes through the full checks."""

    __tablename__ = "model_drafts"

    key: Mapped[str] = mapped_column(String(120), primary_key=True)
    files: Mapped[dict] = mapped_column(JSON)  # {file name: text}
    note: Mapped[str] = mapped_column(Text, default="")
    updated_at: Mapped[datetime]
    updated_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
