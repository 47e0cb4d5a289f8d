"""Shared set-up for the migration page tests (Flask client and Chromium): the shipped lifecycle
deployed under its own key (`breach_complaint_migtest`), cases driven to rectification on it, then
a second version whose rectification phase changed (a dueRule and a label), so some running
cases can move and some cannot."""
from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import timedelta

from sqlalchemy import select

from app import clock
from app.config import ROOT
from app.db import db, unit_of_work
from app.models import Case, ProcessDefinition, ProcessInstance, ReadyTask, Timer, User
from app.services import intake, model_admin
from app.services.accounts import actor_for
from app.services.engine_context import EngineContext
from tests.drive import ServiceDriver, complaint_for
from tests.lifecycle_paths import (ACCEPT_AND_REFER, CHOOSE_RECTIFICATION, CONFIRM_NOT_RECTIFIED, REMINDER_DUE,
                                   REPORT_DONE, VERIFY_UNDISPUTED)

KEY = "breach_complaint_migtest"
TO_RECTIFICATION = ACCEPT_AND_REFER + [VERIFY_UNDISPUTED, CHOOSE_RECTIFICATION]
# confirm_rectification finished, and its dueRule changes in the new version: may not move
CONFIRMED_ONCE = TO_RECTIFICATION + [REPORT_DONE, CONFIRM_NOT_RECTIFIED]


def lifecycle_files(modified: bool) -> dict[str, bytes]:
    """The shipped lifecycle with its root renamed to KEY; `modified`: the verification task renamed
    and confirm_rectification's dueRule 10 days -> 12 days (the rectification phase changed)."""
    files = {p.name: p.read_bytes() for p in sorted((ROOT / "bpmn").iterdir()) if p.suffix in (".bpmn", ".dmn")}
    files.update({p.name: p.read_bytes() for p in sorted((ROOT / "forms").glob("*.json"))})
    files["breach_complaint.bpmn"] = files["breach_complaint.bpmn"].replace(b'"breach_complaint"', f'"{KEY}"'.encode())
    if modified:
        verification = files["complaint_verification.bpmn"].decode()
        renamed = verification.replace('id="verify" name="核实投诉"', 'id="verify" name="核实投诉情况"')
        rectification = files["complaint_rectification.bpmn"].decode()
        changed = re.sub(r'(<bpmn:userTask id="confirm_rectification".*?name="dueRule" value=")10 days"',
                         r'\g<1>12 days"', rectification, count=1, flags=re.S)
        assert renamed != verification and changed != rectification
        files["complaint_verification.bpmn"] = renamed.encode()
        files["complaint_rectification.bpmn"] = changed.encode()
    return files


def _owner():
    return actor_for(db.session.execute(select(User).where(User.username == "owner")).scalar_one())


def deploy(modified: bool, note: str) -> int:
    """Deploy the lifecycle as the demo process owner; returns the version of KEY (new or unchanged)."""
    with unit_of_work(db.session):
        ctx = EngineContext.load(db.session, clock.now())
        results = model_admin.deploy_upload(ctx, _owner(), lifecycle_files(modified), note)
    [entry] = [r for r in results if r.key == KEY]
    return entry.version


def run(driver: ServiceDriver, contract_no: str, steps: list[dict]) -> str:
    """File a complaint on KEY's latest version and walk `steps`; returns the case number."""
    original = intake.LIFECYCLE_KEY
    intake.LIFECYCLE_KEY = KEY
    try:
        case_no, _code = driver.file(complaint_for({"complaint": {"contract": {"contract_no": contract_no}}}))
    finally:
        intake.LIFECYCLE_KEY = original
    for step in steps:
        if "task" in step:
            driver.complete(case_no, step["task"], step["data"])
        else:
            driver.fire_timer(case_no, step["fire_timer"])
    return case_no


@dataclass
class Scenario:
    base: int
    new: int
    movable: list[str]  # in rectification, report_rectification ready with its deadline and reminder
    stuck: str  # confirm_rectification finished; its dueRule changed: refused
    verifying: str  # still in verification (another stage)


def build(app, traveller, movable: int = 2) -> Scenario:
    """Version `base`, cases on it (the first movable one after a reminder fired), then version
    `new` three hours later. Page requests must run outside this app context (Flask would share `g`)."""
    with app.app_context():
        driver = ServiceDriver(traveller)
        base = deploy(False, "baseline")
        cases = [run(driver, f"MIGP-{n}", TO_RECTIFICATION + ([REMINDER_DUE] if n == 0 else []))
                 for n in range(movable)]
        stuck = run(driver, "MIGP-STUCK", CONFIRMED_ONCE)
        verifying = run(driver, "MIGP-VERIFY", ACCEPT_AND_REFER)
        traveller.shift(timedelta(hours=3))
        new = deploy(True, "确认整改结果期限改为12日；核实任务改名")
        db.session.remove()
    return Scenario(base, new, cases, stuck, verifying)


def read(app, fn, *args):
    """fn(*args) in its own app context (for assertions between page requests)."""
    with app.app_context():
        try:
            return fn(*args)
        finally:
            db.session.remove()


def instance_id(case_no: str) -> int:
    return db.session.execute(select(Case.instance_id).where(Case.case_no == case_no)).scalar_one()


def version_of(case_no: str) -> int:
    return db.session.execute(
        select(ProcessDefinition.version).join(ProcessInstance, ProcessInstance.definition_id == ProcessDefinition.id)
        .join(Case, Case.instance_id == ProcessInstance.id).where(Case.case_no == case_no)).scalar_one()


def deadlines(case_no: str) -> dict:
    """Ready tasks (id -> due_at, created_at) and pending timers (element -> due_at) of a case."""
    case_id = db.session.execute(select(Case.id).where(Case.case_no == case_no)).scalar_one()
    tasks = {t.spec_id: (t.id, t.due_at, t.created_at) for t in db.session.execute(
        select(ReadyTask).where(ReadyTask.case_id == case_id)).scalars()}
    timers = {t.spec_id: t.due_at for t in db.session.execute(
        select(Timer).where(Timer.case_id == case_id, Timer.fired_at.is_(None))).scalars()}
    return {"tasks": tasks, "timers": timers}
