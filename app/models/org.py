"""Organisations: the directory used for routing (属地管理、谁主管谁负责) and scoping."""
from __future__ import annotations

from sqlalchemy import Boolean, ForeignKey, String
from sqlalchemy.orm import Mapped, mapped_column

from app.db import Base

ORG_KINDS = ("agency", "public_institution", "government", "dev_zone_committee", "township", "coordination_office")
ORG_LEVELS = ("city", "county", "township")


class Org(Base):
    __tablename__ = "orgs"

    id: Mapped[int] = mapped_column(primary_key=True)
    code: Mapped[str] = mapped_column(String(40), unique=True)
    name: Mapped[str] = mapped_column(String(200))
    kind: Mapped[str] = mapped_column(String(30))
    level: Mapped[str] = mapped_column(String(20))
    region_code: Mapped[str] = mapped_column(String(6), index=True)
    superior_org_id: Mapped[int | None] = mapped_column(ForeignKey("orgs.id"))
    competent_org_id: Mapped[int | None] = mapped_column(ForeignKey("orgs.id"))
    is_credit_office: Mapped[bool] = mapped_column(Boolean, default=False)
    accepts_complaints: Mapped[bool] = mapped_column(Boolean, default=False)
    active: Mapped[bool] = mapped_column(Boolean, default=True)
