"""The supervisors' desk in Chromium: a verification left alone walks the escalation ladder (time
moved with time-machine, each step fired by the scheduler's escalation job) and the county
supervisor sees it on the live board with its level; the board refreshes itself in place when the
next step (督办) fires. The desk's pages fit a desk (1366×768) and a phone (390 px).

Set LVYUE_SCREENSHOTS=<folder> to save the pages as PNGs."""
from __future__ import annotations

from datetime import timedelta

import pytest
from playwright.sync_api import expect
from sqlalchemy import select

from app import clock
from app.db import db, unit_of_work
from app.models import Case, ReadyTask
from app.scheduler.job_env import JobEnv
from app.scheduler.supervision_jobs import run_escalations
from tests.browser.test_workbench_journeys import shot
from tests.drive import ServiceDriver, complaint_for, ready, travel
from tests.lifecycle_paths import RECEIVE_ACCEPT, TRIAGE_ACCEPT

HOUSING = {"respondent": {"org_code": "BB-HOUSING", "name": "蚌埠市住房和城乡建设局"},
           "contract": {"contract_no": "BB-HOUSING-7"}}


def _escalate(app) -> int:
    """One pass of the scheduler's escalation job at this moment (its own transaction)."""
    return run_escalations(JobEnv(db.session, app.extensions["lvyue.settings"]))


def _level(task_id: str) -> int:
    db.session.expire_all()
    level = db.session.execute(select(ReadyTask.escalation_level).where(ReadyTask.id == task_id)).scalar_one()
    db.session.rollback()
    return level


@pytest.fixture
def left_alone(app, demo):
    """A verification nobody works on, walked up the ladder to 催办 (level 4) with time moved to 50 %,
    80 % and just past its due date: (case number, task id)."""
    with app.app_context(), travel() as traveller:
        driver = ServiceDriver(traveller)
        case_no, _code = driver.file(complaint_for({}))
        driver.complete(case_no, "triage", TRIAGE_ACCEPT["data"])
        driver.complete(case_no, "receive_referral", RECEIVE_ACCEPT["data"])
        task = ready(driver.case(case_no).id, "verify")
        task_id, created, due = task.id, clock.as_utc(task.created_at), clock.as_utc(task.due_at)
        db.session.rollback()
        steps = ((created + (due - created) * 0.5, 0, 1), (created + (due - created) * 0.8, 1, 2),
                 (due, 2, 4))  # (moment, level just before it, level just after: overdue and 催办 together)
        for moment, before, level in steps:
            traveller.move_to(moment - timedelta(minutes=1))
            _escalate(app)
            assert _level(task_id) == before, "a step fired before its moment"
            traveller.move_to(moment + timedelta(minutes=1))
            _escalate(app)
            assert _level(task_id) == level
        db.session.remove()
    return case_no, task_id


def test_a_verification_left_alone_is_on_the_board_with_its_level_and_the_board_refreshes_itself(
        app, page, login, left_alone):
    case_no, task_id = left_alone
    login(page, "supervisor_hy")
    page.clock.install()  # the page's timers run on a clock the test moves
    page.goto("/desk")
    row = page.locator(f'tr[data-task="{task_id}"]')
    expect(row.locator(".esc-n")).to_have_text("4")
    expect(row).to_contain_text("催办")
    expect(row).to_contain_text(case_no)
    expect(row.locator(".badge-overdue")).to_contain_text("逾期")
    expect(page.locator("[data-auto-note]")).to_be_visible()  # the script runs
    page.evaluate("window.__sameDocument = true")

    # now (the real clock: long after due + 3 working days) the scheduler's job sends 督办
    with app.app_context():
        assert _escalate(app) == 1
        assert _level(task_id) == 5
        db.session.remove()
    expect(row.locator(".esc-n")).to_have_text("4")  # nothing happens before the 30 s are up
    page.clock.run_for(31_000)
    expect(row.locator(".esc-n")).to_have_text("5")
    expect(row).to_contain_text("督办")
    expect(page.locator("[data-board-live]")).to_have_attribute("data-refreshes", "1")
    assert page.evaluate("window.__sameDocument") is True  # replaced in place, not reloaded
    shot(page, "desk_board_refreshed")


@pytest.fixture
def desk_data(app, demo, left_alone):
    """The ladder case plus a second case in the city (for the city's charts) and a flagged case."""
    with app.app_context(), travel() as traveller:
        driver = ServiceDriver(traveller)
        other, _code = driver.file(complaint_for({"complaint": HOUSING}))
        driver.complete(other, "triage", TRIAGE_ACCEPT["data"])
        with unit_of_work(db.session):
            case = db.session.execute(select(Case).where(Case.case_no == left_alone[0])).scalar_one()
            case.needs_attention = True
            case.attention_reason = "Delivery of 'breach_determined' failed 5 times: HTTP 503 Service Unavailable"
        db.session.remove()
    return left_alone


def _fits(page, path: str, name: str) -> None:
    page.goto(path)
    page.wait_for_load_state("networkidle")
    overflow = page.evaluate("document.documentElement.scrollWidth - window.innerWidth")
    assert overflow <= 0, f"{path} scrolls sideways by {overflow}px"
    expect(page.locator("h1")).to_have_count(1)
    shot(page, name)


@pytest.mark.parametrize("lang", ["zh", "en"])
def test_the_desk_pages_fit_a_desk_and_a_phone(page, phone_page, login, desk_data, lang):
    paths = {"board": "/desk", "league": "/desk/league?period=year&year=2026",  # the cases are from March 2026
             "drill": "/desk/league/cases?org=HY-GOV&metric=completed&period=year&year=2026",
             "attention": "/desk/attention"}
    for viewport, tab in (("desk", page), ("phone", phone_page)):
        login(tab, "supervisor_city")
        tab.goto(f"/lang/{lang}?next=/desk")
        for name, path in paths.items():
            _fits(tab, path, f"desk_{name}_{viewport}_{lang}")
        tab.goto(paths["league"])
        expect(tab.locator("svg.chart-trend title").first).to_be_attached()
        expect(tab.locator("svg.chart-overdue")).to_be_visible()
