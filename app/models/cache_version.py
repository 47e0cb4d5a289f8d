"""Change tokens for data that every process caches (org directory, working-day calendar)."""
from __future__ import annotations

from sqlalchemy import String
from sqlalchemy.orm import Mapped, mapped_column

from app.db import Base


class CacheVersion(Base):
    """One row per cached dataset; its token changes (uuid) whenever the dataset is written,
    so each web/scheduler process reloads its copy on the next request."""

    __tablename__ = "cache_versions"

    name: Mapped[str] = mapped_column(String(40), primary_key=True)
    token: Mapped[str] = mapped_column(String(32))
