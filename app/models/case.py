"""The complaint (投诉) and its case record."""
from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal

from sqlalchemy import JSON, Date, ForeignKey, Index, Numeric, String, Text, UniqueConstraint, text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from app.db import Base
from app.models.org import Org

CHANNELS = (
    "credit_site_column",
    "biz_env_platform",
    "internet_supervision",
    "hotline_12345",
    "sme_payment_platform",
    "online_petition",
    "offline",
)
CASE_STATUSES = ("open", "closed")


class Case(Base):
    __tablename__ = "cases"
    __table_args__ = (
        UniqueConstraint("channel", "external_id"),
        Index("ix_cases_dedupe_key_open", "dedupe_key", "status"),
        # inbox filters and search (queries.inbox) scan the open cases' index entries only, never the
        # table: covering (status and id included so both databases read the index alone)
        Index("ix_cases_open_search", "complainant_name", "contract_title", "contract_no", "case_no", "channel",
              "region_code", "status", "id", sqlite_where=text("status = 'open'"),
              postgresql_where=text("status = 'open'")),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    case_no: Mapped[str] = mapped_column(String(20), unique=True)
    query_code_hash: Mapped[str] = mapped_column(String(64))
    status: Mapped[str] = mapped_column(String(20), default="open", index=True)
    stage: Mapped[str] = mapped_column(String(30), default="intake", index=True)
    outcome: Mapped[str | None] = mapped_column(String(40))
    channel: Mapped[str] = mapped_column(String(30))
    external_id: Mapped[str | None] = mapped_column(String(100))
    idempotency_key: Mapped[str | None] = mapped_column(String(100), unique=True)
    dedupe_key: Mapped[str] = mapped_column(String(200))

    complainant_kind: Mapped[str] = mapped_column(String(30))
    complainant_name: Mapped[str] = mapped_column(String(200), index=True)
    complainant_uscc: Mapped[str | None] = mapped_column(String(18), index=True)
    contact_name: Mapped[str] = mapped_column(String(100))
    contact_phone: Mapped[str] = mapped_column(String(30))

    respondent_org_id: Mapped[int] = mapped_column(ForeignKey("orgs.id"), index=True)
    accepting_org_id: Mapped[int] = mapped_column(ForeignKey("orgs.id"), index=True)
    handling_org_id: Mapped[int | None] = mapped_column(ForeignKey("orgs.id"), index=True)
    supervising_org_id: Mapped[int | None] = mapped_column(ForeignKey("orgs.id"), index=True)
    region_code: Mapped[str] = mapped_column(String(6), index=True)

    contract_title: Mapped[str] = mapped_column(String(300))
    contract_no: Mapped[str | None] = mapped_column(String(100), index=True)
    contract_signed_on: Mapped[date | None] = mapped_column(Date)
    scope_area: Mapped[str] = mapped_column(String(40))
    amount_total: Mapped[Decimal | None] = mapped_column(Numeric(16, 2))
    amount_claimed: Mapped[Decimal | None] = mapped_column(Numeric(16, 2))
    facts: Mapped[str] = mapped_column(Text)
    demands: Mapped[str] = mapped_column(Text, default="")
    submission: Mapped[dict] = mapped_column(JSON)

    instance_id: Mapped[int | None] = mapped_column(ForeignKey("process_instances.id"), unique=True)
    received_at: Mapped[datetime] = mapped_column(index=True)
    closed_at: Mapped[datetime | None]
    needs_attention: Mapped[bool] = mapped_column(default=False, index=True)
    attention_reason: Mapped[str | None] = mapped_column(Text)
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))

    respondent_org: Mapped[Org] = relationship(foreign_keys=[respondent_org_id], lazy="select")
    accepting_org: Mapped[Org] = relationship(foreign_keys=[accepting_org_id], lazy="select")
    handling_org: Mapped[Org | None] = relationship(foreign_keys=[handling_org_id], lazy="select")
    supervising_org: Mapped[Org | None] = relationship(foreign_keys=[supervising_org_id], lazy="select")


class CaseSequence(Base):
    """Per-year counter for case numbers (BB-2026-000123), incremented under a row lock."""

    __tablename__ = "case_sequences"

    year: Mapped[int] = mapped_column(primary_key=True, autoincrement=False)
    last_no: Mapped[int] = mapped_column(default=0)
