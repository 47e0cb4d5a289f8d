"""model_admin and case_migration at the service level: validation never raises, dry runs write
nothing, the models page counts running cases per version, migration refusals carry reasons."""
import os
import random

import pytest
from sqlalchemy import event, func, select

from app import clock
from app.db import db
from app.errors import DefinitionInvalid, InvalidSubmission, NotAllowed, NotFound
from app.models import ProcessInstance
from app.policy import Actor
from app.services import case_migration, model_admin
from app.services.engine_context import EngineContext

from .conftest import APPROVAL_KEY, approval_files

OWNER = Actor(kind="staff", label="owner", user_id=None, role="process_owner")
ADMIN = Actor(kind="staff", label="admin", user_id=None, role="admin")
HANDLER = Actor(kind="staff", label="h", user_id=None, role="handler")


def _ctx():
    return EngineContext.load(db.session, clock.now(), script_time_limit=0.5)


@pytest.mark.parametrize("seed", range(8))
def test_validate_upload_never_raises_on_garbage(seed):
    rnd = random.Random(seed)
    good = approval_files()["approval3.bpmn"]
    cut = rnd.randrange(len(good))
    variants = [os.urandom(rnd.randrange(1, 4000)), good[:cut], good[:cut] + os.urandom(50) + good[cut:],
                good.replace(b"<", b"", rnd.randrange(1, 5)), b"<?xml version='1.0'?>" + b"<a>" * 500]
    for data in variants:
        problems = model_admin.validate_upload({"approval3.bpmn": data, "form_request.json": b"{}"})
        assert all(p.message for p in problems)


def test_size_caps_per_file_and_in_total():
    problems = model_admin.validate_upload({"a.bpmn": b"<a/>" * 100}, max_file_bytes=100)
    assert [(p.file, p.code) for p in problems] == [("a.bpmn", "size")]
    problems = model_admin.validate_upload({"a.bpmn": b"<a/>" * 20, "b.bpmn": b"<a/>" * 20}, 100, max_total_bytes=100)
    assert [p.code for p in problems] == ["size"]


def test_deploy_upload_refuses_non_owners_and_problems(ctx_app):
    with pytest.raises(NotAllowed):
        model_admin.deploy_upload(_ctx(), ADMIN, approval_files())
    broken = approval_files()
    broken["approval3.bpmn"] = broken["approval3.bpmn"].replace(b'value="form_amount.json"', b'value="x.json"')
    with pytest.raises(DefinitionInvalid) as info:
        model_admin.deploy_upload(_ctx(), OWNER, broken)
    assert [p.element_id for p in info.value.problems] == ["ut_amount"]
    db.session.rollback()


def test_dry_run_steps_through_the_draft_and_writes_nothing(ctx_app):
    statements = []
    listener = lambda *args: statements.append(args[2])  # noqa: E731
    event.listen(db.engine, "before_cursor_execute", listener)
    try:
        result = model_admin.dry_run(_ctx(), approval_files(), APPROVAL_KEY, {"note": "x"}, [
            {"task": "ut_request", "data": {"requester": "Li"}},
            {"task": "ut_amount", "data": {"amount": 10}},
            {"task": "ut_approve", "data": {"approved": True}},
        ])
    finally:
        event.remove(db.engine, "before_cursor_execute", listener)
    assert result["error"] is None
    assert [s["ready_tasks"][0]["task"] if s["ready_tasks"] else None for s in result["steps"]] == [
        "ut_request", "ut_amount", "ut_approve", None]
    assert result["steps"][-1]["completed"] and result["steps"][-1]["data"]["requester"] == "Li"
    assert not [s for s in statements if s.lstrip().upper().startswith(("INSERT", "UPDATE", "DELETE"))]


def test_dry_run_reports_form_errors_and_unknown_tasks(ctx_app):
    result = model_admin.dry_run(_ctx(), approval_files(), APPROVAL_KEY, {}, [{"task": "ut_request", "data": {}}])
    assert result["error"]["error"] == "InvalidSubmission" and "requester" in result["error"]["errors"]
    result = model_admin.dry_run(_ctx(), approval_files(), APPROVAL_KEY, {}, [{"task": "nope", "data": {}}])
    assert result["error"]["step"] == 1 and "ut_request" in result["error"]["message"]
    with pytest.raises(InvalidSubmission):
        model_admin.dry_run(_ctx(), approval_files(), "not_there", {}, [])


def test_dry_run_shows_waiting_timers(ctx_app):
    from tests.engine.conftest import model_bytes

    files = {"timers.bpmn": model_bytes("timers.bpmn")}
    result = model_admin.dry_run(_ctx(), files, "rectification", {"deadline_in": "2030-01-10T17:00:00+08:00"}, [])
    [timer] = result["steps"][0]["waiting_timers"]
    assert timer["element_id"] == "deadline_timer" and timer["due_at"].startswith("2030-01-10T09:00:00")


def test_a_dry_run_fires_a_waiting_timer_without_waiting_for_it(ctx_app):
    from tests.engine.conftest import model_bytes

    files = {"timers.bpmn": model_bytes("timers.bpmn")}
    result = model_admin.dry_run(_ctx(), files, "rectification", {"deadline_in": "2030-01-10T17:00:00+08:00"},
                                 [{"fire_timer": "deadline_timer"}])
    assert result["error"] is None
    after = result["steps"][-1]
    assert [t["task"] for t in after["ready_tasks"]] == ["review"] and after["waiting_timers"] == []
    missing = model_admin.dry_run(_ctx(), files, "rectification", {"deadline_in": "2030-01-10T17:00:00+08:00"},
                                  [{"fire_timer": "no_such_timer"}])
    assert missing["error"]["step"] == 1 and "not waiting" in missing["error"]["message"]


def test_list_processes_counts_running_cases_in_one_grouped_query(ctx_app):
    listing = model_admin.list_processes(db.session)
    [shipped] = [p for p in listing if p["key"] == "breach_complaint"]
    assert shipped["versions"][0]["sha256"] and shipped["versions"][0]["deployed_by"] == "system"
    total = db.session.execute(select(func.count(ProcessInstance.id)).where(ProcessInstance.status == "running")).scalar_one()
    assert sum(p["running_cases"] for p in listing) == total


def test_version_diff_and_plan_need_existing_versions(ctx_app):
    with pytest.raises(NotFound):
        model_admin.version_diff(db.session, "breach_complaint", 1, 999)
    with pytest.raises(InvalidSubmission):
        model_admin.version_diff(db.session, "breach_complaint", "x", 1)
    with pytest.raises(NotAllowed):
        case_migration.plan(_ctx(), HANDLER, "breach_complaint", 1, 1)
    with pytest.raises(InvalidSubmission):
        case_migration.plan(_ctx(), ADMIN, "breach_complaint", 1, 1)
    with pytest.raises(InvalidSubmission):
        case_migration.migrate_batch(_ctx(), OWNER, "breach_complaint", 1, 1, "all")
