"""Demo data: the Bengbu org directory (GLOSSARY) and one user per role and org."""
from __future__ import annotations

import secrets
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from app.models import Org, User
from app.services.accounts import create_user, issue_token
from app.services.reference_cache import DIRECTORY, bump

# code, name, kind, level, region, superior, competent, credit_office, accepts
ORGS: list[tuple] = [
    ("BB-GOV", "蚌埠市人民政府", "government", "city", "340300", None, None, False, False),
    ("BB-CREDIT", "蚌埠市社会信用体系建设领导小组办公室", "coordination_office", "city", "340300", "BB-GOV", "BB-NDRC", True, True),
    ("BB-NDRC", "蚌埠市发展和改革委员会", "agency", "city", "340300", "BB-GOV", None, False, False),
    ("BB-BIZENV", "蚌埠市创建一流营商环境工作领导小组办公室", "coordination_office", "city", "340300", "BB-GOV", None, False, True),
    ("BB-12345", "蚌埠市12345政务服务便民热线办公室", "agency", "city", "340300", "BB-GOV", "BB-DATA", False, True),
    ("BB-JUSTICE", "蚌埠市司法局", "agency", "city", "340300", "BB-GOV", None, False, True),
    ("BB-MIIT", "蚌埠市经济和信息化局", "agency", "city", "340300", "BB-GOV", None, False, True),
    ("BB-PETITION", "蚌埠市人民政府信访局", "agency", "city", "340300", "BB-GOV", None, False, True),
    ("BB-DATA", "蚌埠市数据资源管理局", "agency", "city", "340300", "BB-GOV", None, False, False),
    ("BB-FIN", "蚌埠市财政局", "agency", "city", "340300", "BB-GOV", None, False, False),
    ("BB-HOUSING", "蚌埠市住房和城乡建设局", "agency", "city", "340300", "BB-GOV", None, False, False),
    ("BB-INVEST", "蚌埠市投资促进局", "agency", "city", "340300", "BB-GOV", None, False, False),
    ("BB-PRTC", "蚌埠市公共资源交易中心", "public_institution", "city", "340300", "BB-GOV", "BB-DATA", False, False),
    ("BB-TRANSPORT", "蚌埠市交通运输局", "agency", "city", "340300", "BB-GOV", None, False, False),
    ("BB-WATER", "蚌埠市水利局", "agency", "city", "340300", "BB-GOV", None, False, False),
    ("BB-AGRI", "蚌埠市农业农村局", "agency", "city", "340300", "BB-GOV", None, False, False),
    ("BB-EDU", "蚌埠市教育局", "agency", "city", "340300", "BB-GOV", None, False, False),
    ("BB-HEALTH", "蚌埠市卫生健康委员会", "agency", "city", "340300", "BB-GOV", None, False, False),
    ("BB-URBAN", "蚌埠市城市管理局", "agency", "city", "340300", "BB-GOV", None, False, False),
    ("BB-HTZ", "蚌埠高新技术产业开发区管理委员会", "dev_zone_committee", "city", "340300", "BB-GOV", None, False, False),
    ("BB-EDZ", "蚌埠经济开发区管理委员会", "dev_zone_committee", "city", "340300", "BB-GOV", None, False, False),
    ("HY-GOV", "怀远县人民政府", "government", "county", "340321", "BB-GOV", None, False, False),
    ("HY-CREDIT", "怀远县社会信用体系建设领导小组办公室", "coordination_office", "county", "340321", "HY-GOV", "HY-NDRC", True, True),
    ("HY-NDRC", "怀远县发展和改革委员会", "agency", "county", "340321", "HY-GOV", "BB-NDRC", False, False),
    ("HY-FIN", "怀远县财政局", "agency", "county", "340321", "HY-GOV", "BB-FIN", False, False),
    ("HY-HOUSING", "怀远县住房和城乡建设局", "agency", "county", "340321", "HY-GOV", "BB-HOUSING", False, False),
    ("HY-SAMR", "怀远县市场监督管理局", "agency", "county", "340321", "HY-GOV", None, False, False),
    ("HY-DATA", "怀远县数据资源局", "agency", "county", "340321", "HY-GOV", "BB-DATA", False, False),
    ("HY-TRANSPORT", "怀远县交通运输局", "agency", "county", "340321", "HY-GOV", "BB-TRANSPORT", False, False),
    ("HY-WATER", "怀远县水利局", "agency", "county", "340321", "HY-GOV", "BB-WATER", False, False),
    ("HY-INVEST", "怀远县招商中心", "public_institution", "county", "340321", "HY-GOV", "HY-GOV", False, False),
    ("HY-TOWN-TANGJI", "怀远县唐集镇人民政府", "township", "township", "340321", "HY-GOV", None, False, False),
    ("HY-TOWN-WEIZHUANG", "怀远县魏庄镇人民政府", "township", "township", "340321", "HY-GOV", None, False, False),
    ("WH-GOV", "五河县人民政府", "government", "county", "340322", "BB-GOV", None, False, False),
    ("WH-CREDIT", "五河县社会信用体系建设领导小组办公室", "coordination_office", "county", "340322", "WH-GOV", None, True, True),
    ("WH-HOUSING", "五河县住房和城乡建设局", "agency", "county", "340322", "WH-GOV", "BB-HOUSING", False, False),
]

# username -> (role, org code)
DEMO_USERS: dict[str, tuple[str, str]] = {
    "intake_city": ("intake_officer", "BB-CREDIT"),
    "intake_12345": ("intake_officer", "BB-12345"),
    "intake_hy": ("intake_officer", "HY-CREDIT"),
    "handler_bbgov": ("handler", "BB-GOV"),
    "handler_hygov": ("handler", "HY-GOV"),
    "handler_bbhousing": ("handler", "BB-HOUSING"),
    "handler_bbdata": ("handler", "BB-DATA"),
    "handler_whgov": ("handler", "WH-GOV"),
    "supervisor_city": ("supervisor", "BB-CREDIT"),
    "supervisor_hy": ("supervisor", "HY-CREDIT"),
    "owner": ("process_owner", "BB-CREDIT"),
    "admin": ("admin", "BB-CREDIT"),
}


def seed_orgs(session: Session) -> int:
    existing = {o.code: o for o in session.execute(select(Org)).scalars()}
    created = 0
    for code, name, kind, level, region, *_ in ORGS:
        if code not in existing:
            existing[code] = Org(code=code, name=name, kind=kind, level=level, region_code=region)
            session.add(existing[code])
            created += 1
    session.flush()
    for code, _n, _k, _l, _r, superior, competent, credit, accepts in ORGS:
        org = existing[code]
        org.superior_org_id = existing[superior].id if superior else None
        org.competent_org_id = existing[competent].id if competent else None
        org.is_credit_office = credit
        org.accepts_complaints = accepts
    bump(session, DIRECTORY)
    session.flush()
    return created


# what the header and the task history show for each demo user (made-up names)
DEMO_DISPLAY_NAMES: dict[str, str] = {
    "intake_city": "张敏", "intake_12345": "刘洋", "intake_hy": "陈静", "handler_bbgov": "王磊",
    "handler_hygov": "赵丽", "handler_bbhousing": "孙伟", "handler_bbdata": "周婷", "handler_whgov": "吴刚",
    "supervisor_city": "郑华", "supervisor_hy": "何芳", "owner": "马骏", "admin": "林涛",
}


def seed_demo(session: Session, now: datetime) -> dict[str, dict]:
    """Idempotent: creates what is missing. Returns credentials of users created now."""
    seed_orgs(session)
    credentials = {}
    for username, (role, org_code) in DEMO_USERS.items():
        if session.execute(select(User).where(User.username == username)).scalar_one_or_none():
            continue
        password = "demo-" + secrets.token_urlsafe(9)
        create_user(session, now, username, password, role, org_code,
                    display_name=DEMO_DISPLAY_NAMES.get(username))
        token = issue_token(session, now, username, name="demo")
        credentials[username] = {"password": password, "api_token": token, "role": role, "org_code": org_code}
    return credentials
