"""The org directory as seen by process scripts: routing helpers over a snapshot of the orgs table."""
from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.orm import Session

from app.errors import NotFound
from app.models import Org


@dataclass(frozen=True)
class OrgEntry:
    id: int
    code: str
    name: str
    kind: str
    level: str
    region_code: str
    superior_code: str | None
    competent_code: str | None
    is_credit_office: bool


class Directory:
    """Immutable snapshot of the org directory (small: hundreds of rows)."""

    def __init__(self, entries: list[OrgEntry]):
        self.by_code = {e.code: e for e in entries}
        self.by_id = {e.id: e for e in entries}
        self.codes_by_id = {e.id: e.code for e in entries}

    @classmethod
    def load(cls, session: Session) -> "Directory":
        orgs = session.execute(select(Org)).scalars().all()
        code_of = {o.id: o.code for o in orgs}
        return cls([
            OrgEntry(
                id=o.id, code=o.code, name=o.name, kind=o.kind, level=o.level, region_code=o.region_code,
                superior_code=code_of.get(o.superior_org_id), competent_code=code_of.get(o.competent_org_id),
                is_credit_office=o.is_credit_office,
            )
            for o in orgs
        ])

    def get(self, code: str) -> OrgEntry:
        try:
            return self.by_code[code]
        except KeyError:
            raise NotFound(f"unknown organisation code {code!r}") from None

    def route_org(self, code: str, relation: str) -> str:
        """属地管理、谁主管谁负责: the org that verifies a complaint against `code`."""
        org = self.get(code)
        if relation == "self":
            return org.code
        if relation == "competent":
            return org.competent_code or org.superior_code or org.code
        if relation == "superior":
            return org.superior_code or org.competent_code or org.code
        raise ValueError(f"unknown routing relation {relation!r} (competent, superior or self)")

    def credit_office_for(self, code: str) -> str:
        """The 信用办 of the org's region; falls back to the city's when the county has none."""
        org = self.get(code)
        offices = [e for e in self.by_code.values() if e.is_credit_office]
        for office in offices:
            if office.region_code == org.region_code:
                return office.code
        city = org.region_code[:4] + "00"
        for office in offices:
            if office.region_code == city:
                return office.code
        raise NotFound(f"no credit office for region {org.region_code}")

    def org_name(self, code: str) -> str:
        return self.get(code).name

    def id_of(self, code: str | None) -> int | None:
        if not code:
            return None
        entry = self.by_code.get(code)
        return entry.id if entry else None
