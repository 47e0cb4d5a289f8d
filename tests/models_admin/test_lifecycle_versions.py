"""A modified lifecycle deployed as version N+1: new cases start on it, running cases stay on theirs
until a process owner migrates them; a migrated case keeps its rectification deadline and timers."""
from datetime import timedelta

import pytest
from sqlalchemy import select

from app.db import db
from app.models import AuditEvent, Case, ProcessDefinition, ProcessInstance, ReadyTask, Timer
from app.services import intake
from app.services.audit import verify_chain
from tests.drive import ServiceDriver, complaint_for, ready, travel
from tests.lifecycle_paths import (ACCEPT_AND_REFER, CHOOSE_RECTIFICATION, CONFIRM_NOT_RECTIFIED, REMINDER_DUE,
                                   REPORT_DONE, VERIFY_UNDISPUTED)

from .conftest import LIFECYCLE_KEY, lifecycle_files

TO_RECTIFICATION = ACCEPT_AND_REFER + [VERIFY_UNDISPUTED, CHOOSE_RECTIFICATION]


@pytest.fixture
def lifecycle_key(monkeypatch):
    monkeypatch.setattr(intake, "LIFECYCLE_KEY", LIFECYCLE_KEY)
    return LIFECYCLE_KEY


def _run(driver, contract_no, steps) -> str:
    case_no, _ = driver.file(complaint_for({"complaint": {"contract": {"contract_no": contract_no}}}))
    for step in steps:
        if "task" in step:
            driver.complete(case_no, step["task"], step["data"])
        else:
            driver.fire_timer(case_no, step["fire_timer"])
    return case_no


def _version_of(case_no) -> int:
    return db.session.execute(
        select(ProcessDefinition.version).join(ProcessInstance, ProcessInstance.definition_id == ProcessDefinition.id)
        .join(Case, Case.instance_id == ProcessInstance.id).where(Case.case_no == case_no)).scalar_one()


def _deadlines(case_no) -> tuple:
    case = db.session.execute(select(Case).where(Case.case_no == case_no)).scalar_one()
    task = ready(case.id, "report_rectification")
    timers = {t.spec_id: t.due_at for t in db.session.execute(
        select(Timer).where(Timer.case_id == case.id, Timer.fired_at.is_(None))).scalars()}
    return task.id, task.due_at, task.created_at, timers


def _deploy(post_files, modified: bool, note: str) -> dict:
    resp = post_files("/deploy", lifecycle_files(modified), change_note=note)
    assert resp.status_code in (200, 201), resp.get_json()
    [entry] = [v for v in resp.get_json()["versions"] if v["key"] == LIFECYCLE_KEY]
    return entry


def test_deploy_new_version_then_migrate_running_cases(app, demo, client, auth, post_files, lifecycle_key):
    with app.app_context(), travel() as traveller:
        driver = ServiceDriver(traveller)
        base = _deploy(post_files, False, "baseline")["version"]
        movable = _run(driver, "MIG-1", TO_RECTIFICATION + [REMINDER_DUE])
        stuck = _run(driver, "MIG-2", TO_RECTIFICATION + [REPORT_DONE, CONFIRM_NOT_RECTIFIED])
        db.session.remove()

        # deploy a modified lifecycle (a label and a dueRule changed): version N+1, audited with the note
        traveller.shift(timedelta(days=1, hours=3))
        deployed = _deploy(post_files, True, "confirm_rectification: 12 days; verify renamed")
        assert deployed["created"] and deployed["version"] == base + 1
        new = deployed["version"]
        note = db.session.execute(select(ProcessDefinition.change_note).where(
            ProcessDefinition.id == deployed["definition_id"])).scalar_one()
        assert note.startswith("confirm_rectification")
        assert _deploy(post_files, True, "again")["created"] is False  # unchanged: no new version

        # new complaints start on it; running cases stay on theirs
        fresh = _run(driver, "MIG-3", [])
        assert (_version_of(fresh), _version_of(movable), _version_of(stuck)) == (new, base, base)

        # the models page
        listing = client.get("/api/v1/models", headers=auth("admin")).get_json()["processes"]
        [entry] = [p for p in listing if p["key"] == LIFECYCLE_KEY]
        counts = {v["version"]: v["running_cases"] for v in entry["versions"]}
        assert counts[base] >= 2 and counts[new] >= 1 and entry["versions"][0]["deployed_by"] == "owner"

        # the diff between the versions
        diff = client.get(f"/api/v1/models/{LIFECYCLE_KEY}/diff?from={base}&to={new}", headers=auth("owner")).get_json()
        changed = {c["element_id"]: c["attributes"] for c in diff["changed"]}
        assert changed == {"verify": ["bpmn_name"], "confirm_rectification": ["extensions.properties.dueRule"]}
        assert diff["added"] == [] and diff["removed"] == []

        before = _deadlines(movable)
        ids = {c: db.session.execute(select(Case.instance_id).where(Case.case_no == c)).scalar_one()
               for c in (movable, stuck, fresh)}
        db.session.remove()

        # plan: who can move (admins may look)
        plan = client.post(f"/api/v1/models/{LIFECYCLE_KEY}/migrations/plan", headers=auth("admin"),
                           json={"from_version": base, "to_version": new, "stage": "rectification"})
        assert plan.status_code == 200, plan.get_json()
        verdict = {c["case_no"]: c for c in plan.get_json()["candidates"]}
        assert verdict[movable]["can_move"] is True
        assert verdict[stuck]["can_move"] is False and "confirm_rectification" in verdict[stuck]["reason"]
        assert fresh not in verdict

        # migrate both in one batch: only process owners
        body = {"from_version": base, "to_version": new, "instance_ids": [ids[movable], ids[stuck], ids[fresh]]}
        assert client.post(f"/api/v1/models/{LIFECYCLE_KEY}/migrations", headers=auth("admin"), json=body).status_code == 403
        traveller.shift(timedelta(hours=5))
        resp = client.post(f"/api/v1/models/{LIFECYCLE_KEY}/migrations", headers=auth("owner"), json=body)
        report = resp.get_json()
        assert resp.status_code == 200, report
        assert [m["case_no"] for m in report["moved"]] == [movable]
        refused, on_new = report["refused"]
        assert refused["case_no"] == stuck and "confirm_rectification" in refused["reason"]
        assert "dueRule" in refused["reason"]
        assert on_new["case_no"] == fresh and f"not on version {base}" in on_new["reason"]

        # the moved case is on the new version with its deadlines untouched; the other is unchanged
        assert (_version_of(movable), _version_of(stuck)) == (new, base)
        after = _deadlines(movable)
        assert after == before  # same ready task, same due_at, same timer due times (deadline and cycle)
        assert set(after[3]) == {"rectify_deadline_timer", "rectify_reminder_timer"}

        actions = db.session.execute(select(AuditEvent.action, AuditEvent.instance_id, AuditEvent.detail).where(
            AuditEvent.action.in_(("case_migrated", "cases_migrated", "definition_deployed")))).all()
        migrated = [a for a in actions if a.action == "case_migrated"]
        assert [(a.instance_id, a.detail["from_version"], a.detail["to_version"]) for a in migrated] == [
            (ids[movable], base, new)]
        [batch] = [a for a in actions if a.action == "cases_migrated"]
        assert batch.detail["moved"] == [ids[movable]]
        assert [r["instance_id"] for r in batch.detail["refused"]] == [ids[stuck], ids[fresh]]
        assert any(a.action == "definition_deployed" and a.detail["version"] == new for a in actions)
        assert verify_chain(db.session).ok
        db.session.remove()

        # the moved case carries on: the report goes to the (new) confirmation task
        driver.complete(movable, "report_rectification", REPORT_DONE["data"])
        case = driver.case(movable)
        assert ready(case.id, "confirm_rectification").due_rule == "12 days"
        db.session.remove()


def test_dry_run_of_the_deployed_lifecycle_writes_nothing(app, demo, client, auth):
    with app.app_context():
        before = db.session.execute(select(ProcessInstance.id)).all()
        data = {"case_no": "DRY-1", "received_at": "2026-03-02T09:00:00+08:00", "channel": "credit_site_column",
                "accepting_org": "BB-CREDIT", "respondent_org": "HY-HOUSING",
                "respondent": {"name": "怀远县住房和城乡建设局", "kind": "agency", "level": "county",
                               "region_code": "340321"},
                "complainant_kind": "sme", "complainant_name": "X", "amount_claimed": "1.00",
                "scope_area": "gov_investment", "contract_title": "T"}
        resp = client.post("/api/v1/models/dry-run", headers=auth("owner"), json={
            "process_key": "breach_complaint", "data": data,
            "steps": [{"task": "triage", "data": {"intake_decision": "accept", "triage_note": "ok"}}]})
        body = resp.get_json()
        assert resp.status_code == 200, body
        assert [t["task"] for t in body["steps"][0]["ready_tasks"]] == ["triage"]
        assert [t["task"] for t in body["steps"][1]["ready_tasks"]] == ["receive_referral"]
        assert body["steps"][1]["data"]["intake_decision"] == "accept"

        bad = client.post("/api/v1/models/dry-run", headers=auth("owner"), json={
            "process_key": "breach_complaint", "data": data, "steps": [{"task": "verify", "data": {}}]})
        assert bad.status_code == 422 and "triage" in bad.get_json()["message"]
        assert db.session.execute(select(ProcessInstance.id)).all() == before
        assert db.session.execute(select(ReadyTask.id)).all() == []
