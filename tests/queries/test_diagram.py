"""case_diagram: which elements of which process are done, current and waiting, from the projections."""
from __future__ import annotations

import pytest
from sqlalchemy import update

from app.db import db, unit_of_work
from app.models import ProcessInstance
from app.queries.diagram import case_diagram
from tests.drive import ServiceDriver, complaint_for, travel
from tests.lifecycle_paths import (
    ACCEPT_AND_REFER, CHOOSE_RECTIFICATION, EXPLAIN, FOLLOW_UP_DISSATISFIED, PATHS, VERIFY_UNDISPUTED,
    VERIFY_UNSUBSTANTIATED,
)


@pytest.fixture
def driver(app, demo):
    with app.app_context(), travel() as traveller:
        yield ServiceDriver(traveller)
        db.session.remove()


def _run(driver, steps) -> str:
    case_no, _code = driver.file(complaint_for({}))
    for step in steps:
        if "fire_timer" in step:
            driver.fire_timer(case_no, step["fire_timer"])
        else:
            driver.complete(case_no, step["task"], step["data"])
    return case_no


def _diagram(driver, case_no: str) -> dict:
    data = case_diagram(db.session, driver.case(case_no))
    return {"_": data, **{p["id"]: p for p in data["processes"]}}


def test_a_new_case_is_at_triage_inside_the_intake_call_activity(driver):
    d = _diagram(driver, _run(driver, []))
    assert d["_"]["initial"] == "complaint_intake"
    assert d["complaint_intake"]["current"] == ["triage"]
    assert d["complaint_intake"]["completed"] == ["intake_start"]
    assert d["breach_complaint"]["current"] == ["call_intake", "case_handling"]
    assert d["breach_complaint"]["completed"] == ["case_start", "start"]
    untouched = d["complaint_verification"]
    assert untouched["completed"] == untouched["current"] == untouched["waiting"] == untouched["cancelled"] == []


def test_processes_come_root_first_then_in_call_order_with_their_files(driver):
    data = case_diagram(db.session, driver.case(_run(driver, [])))
    ids = [p["id"] for p in data["processes"]]
    assert ids[:4] == ["breach_complaint", "complaint_intake", "complaint_referral", "complaint_verification"]
    assert set(ids) == {"breach_complaint", "complaint_intake", "complaint_referral", "complaint_verification",
                        "complaint_rectification", "breach_determination", "dispute_resolution"}
    assert all(f"<bpmn:process id=\"{p['id']}\"" in data["files"][p["file"]] for p in data["processes"])
    assert (data["key"], data["root"]) == ("breach_complaint", "breach_complaint")


def test_rectification_under_a_deadline_waits_on_both_boundary_timers(driver):
    d = _diagram(driver, _run(driver, ACCEPT_AND_REFER + [VERIFY_UNDISPUTED, CHOOSE_RECTIFICATION]))
    rect = d["complaint_rectification"]
    assert d["_"]["initial"] == "complaint_rectification"
    assert rect["current"] == ["report_rectification"]
    assert rect["waiting"] == ["rectify_deadline_timer", "rectify_reminder_timer"]
    assert "choose_remedy" in rect["completed"]
    assert {"call_intake", "call_referral", "call_verification"} <= set(d["breach_complaint"]["completed"])
    assert "call_rectification" in d["breach_complaint"]["current"]


def test_a_fired_deadline_is_done_and_the_task_it_interrupted_is_cancelled(driver):
    d = _diagram(driver, _run(driver, ACCEPT_AND_REFER + [VERIFY_UNDISPUTED, CHOOSE_RECTIFICATION,
                                                           {"fire_timer": "rectify_deadline_timer"}]))
    rect = d["complaint_rectification"]
    assert rect["current"] == ["supervise_overdue"]
    assert rect["cancelled"] == ["report_rectification"]
    assert "rectify_deadline_timer" in rect["completed"] and rect["waiting"] == []


def test_a_reopened_case_shows_verification_as_current_again_not_done(driver):
    d = _diagram(driver, _run(driver, ACCEPT_AND_REFER + [VERIFY_UNSUBSTANTIATED, EXPLAIN, FOLLOW_UP_DISSATISFIED]))
    assert d["complaint_verification"]["current"] == ["verify"]
    assert "verify" not in d["complaint_verification"]["completed"]
    assert {"explain_to_complainant", "follow_up_visit"} <= set(d["breach_complaint"]["completed"])
    assert "call_verification" in d["breach_complaint"]["current"]


def test_a_closed_case_has_nothing_current_and_opens_on_the_main_process(driver):
    d = _diagram(driver, _run(driver, PATHS["not_accepted"]["steps"]))
    assert d["_"]["initial"] == "breach_complaint"
    assert all(not p["current"] and not p["waiting"] for p in d["_"]["processes"])
    assert "triage" in d["complaint_intake"]["completed"]
    assert "call_intake" in d["breach_complaint"]["completed"]


def test_the_diagram_never_reads_the_workflow_state(driver):
    case_no = _run(driver, ACCEPT_AND_REFER)
    before = case_diagram(db.session, driver.case(case_no))
    with unit_of_work(db.session):
        db.session.execute(update(ProcessInstance).where(ProcessInstance.id == driver.case(case_no).instance_id)
                           .values(state_json="not the engine's state"))
    assert case_diagram(db.session, driver.case(case_no)) == before
