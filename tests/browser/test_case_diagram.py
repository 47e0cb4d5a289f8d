"""The case diagram: its JSON for staff who may see the case, and bpmn-js drawing it in Chromium
with the current task, the completed steps and the legend, under the app's CSP."""
from __future__ import annotations

import re

import pytest

from app.db import db
from app.models import Org
from tests.drive import ServiceDriver, complaint_for, travel
from tests.lifecycle_paths import ACCEPT_AND_REFER, CHOOSE_RECTIFICATION, VERIFY_UNDISPUTED

SCREENSHOTS = "/tmp"
_TOKEN = re.compile(r'name="csrf_token" value="([^"]+)"')


def _case_at(app, steps) -> tuple[str, str]:
    """File the sample complaint through the services and complete `steps`; (case number, handling org code)."""
    with app.app_context(), travel() as traveller:
        driver = ServiceDriver(traveller)
        case_no, _code = driver.file(complaint_for({}))
        for step in steps:
            driver.complete(case_no, step["task"], step["data"])
        case = driver.case(case_no)
        org = db.session.get(Org, case.handling_org_id) if case.handling_org_id else None
        handling = org.code if org else ""
        db.session.remove()
    return case_no, handling


def _user(demo, role: str, org_code: str | None = None, other_than: str | None = None) -> str:
    for username, info in sorted(demo.items()):
        if info["role"] == role and (org_code is None or info["org_code"] == org_code) \
                and (other_than is None or info["org_code"] != other_than):
            return username
    raise AssertionError(f"no demo {role} for {org_code or 'any org'}")


def _client(app, demo, username: str):
    client = app.test_client()
    form = client.get("/login").get_data(as_text=True)
    response = client.post("/login", data={"username": username, "password": demo[username]["password"],
                                           "csrf_token": _TOKEN.search(form).group(1)})
    assert response.status_code == 302, response.get_data(as_text=True)[:300]
    return client


@pytest.fixture
def verifying_case(app, demo):
    """A case accepted, referred and waiting for verification by its handling org."""
    case_no, handling = _case_at(app, ACCEPT_AND_REFER)
    return case_no, _user(demo, "handler", handling)


def _process(data: dict, process_id: str) -> dict:
    return next(p for p in data["processes"] if p["id"] == process_id)


# -- the JSON -------------------------------------------------------------------------------------

def test_the_diagram_json_marks_done_current_and_untouched_phases_at_verification(app, demo, verifying_case):
    case_no, handler = verifying_case
    response = _client(app, demo, handler).get(f"/cases/{case_no}/diagram.json")
    assert response.status_code == 200
    data = response.get_json()
    assert data["root"] == "breach_complaint" and data["initial"] == "complaint_verification"
    assert [p["id"] for p in data["processes"]][0] == "breach_complaint"
    assert set(data["files"]) == {p["file"] for p in data["processes"]}
    assert all(xml.lstrip().startswith("<?xml") for xml in data["files"].values())
    main = _process(data, "breach_complaint")
    assert main["current"] == ["call_verification", "case_handling"]
    assert {"call_intake", "call_referral"} <= set(main["completed"])
    assert "call_verification" not in main["completed"]
    verification = _process(data, "complaint_verification")
    assert verification["current"] == ["verify"] and verification["waiting"] == []
    assert "triage" in _process(data, "complaint_intake")["completed"]
    assert "receive_referral" in _process(data, "complaint_referral")["completed"]
    untouched = _process(data, "dispute_resolution")
    assert untouched["completed"] == untouched["current"] == untouched["waiting"] == []


def test_the_diagram_json_shows_a_rectification_deadline_as_waiting(app, demo):
    case_no, handling = _case_at(app, ACCEPT_AND_REFER + [VERIFY_UNDISPUTED, CHOOSE_RECTIFICATION])
    data = _client(app, demo, _user(demo, "handler", handling)).get(f"/cases/{case_no}/diagram.json").get_json()
    rectification = _process(data, "complaint_rectification")
    assert data["initial"] == "complaint_rectification"
    assert rectification["current"] == ["report_rectification"]
    assert rectification["waiting"] == ["rectify_deadline_timer", "rectify_reminder_timer"]
    assert "verify" in _process(data, "complaint_verification")["completed"]


def test_another_orgs_handler_gets_404_for_the_diagram_and_its_page(app, demo, verifying_case):
    case_no, handler = verifying_case
    stranger = _user(demo, "handler", other_than=demo[handler]["org_code"])
    client = _client(app, demo, stranger)
    assert client.get(f"/cases/{case_no}/diagram.json").status_code == 404
    assert client.get(f"/cases/{case_no}/diagram").status_code == 404
    assert client.get("/cases/BB-2099-999999/diagram.json").status_code == 404


def test_anonymous_visitors_are_sent_to_sign_in(app, demo, verifying_case):
    case_no, _handler = verifying_case
    response = app.test_client().get(f"/cases/{case_no}/diagram.json")
    assert response.status_code == 302 and "/login" in response.headers["Location"]


# -- in Chromium ----------------------------------------------------------------------------------

def _open_diagram(page, login, username: str, case_no: str):
    login(page, username, next=f"/cases/{case_no}/diagram")
    page.wait_for_selector(".bpmn-diagram.is-ready[aria-busy=false]")


def _shape(page, element_id: str):
    return page.locator(f'.bpmn-diagram g.djs-element[data-element-id="{element_id}"]')


def test_bpmn_js_highlights_the_current_task_and_the_completed_phases(page, login, verifying_case):
    case_no, handler = verifying_case
    _open_diagram(page, login, handler, case_no)
    # the phase holding the current task opens first
    assert page.locator(".diagram-tab.is-active").get_attribute("data-process") == "complaint_verification"
    verify = _shape(page, "verify")
    assert "diagram-current" in verify.get_attribute("class")
    assert "diagram-completed" in _shape(page, "verification_start").get_attribute("class")
    assert page.locator(".diagram-summary-current").inner_text().endswith("核实投诉")
    box = verify.bounding_box()
    assert box and box["width"] > 40, "the current task is drawn at a readable size"
    page.screenshot(path=f"{SCREENSHOTS}/case_diagram_verification.png", full_page=True)

    page.click('.diagram-tab[data-process="breach_complaint"]')
    page.wait_for_selector('.bpmn-diagram.is-ready[data-process="breach_complaint"][aria-busy=false]')
    assert "diagram-current" in _shape(page, "call_verification").get_attribute("class")
    for done in ("call_intake", "call_referral", "start"):
        assert "diagram-completed" in _shape(page, done).get_attribute("class"), done
    untouched = set(_shape(page, "call_dispute").get_attribute("class").split())
    assert not untouched & {"diagram-current", "diagram-completed", "diagram-waiting", "diagram-cancelled"}
    legend = page.locator(".diagram-legend").inner_text()
    assert all(word in legend for word in ("当前环节", "已完成", "计时等待"))
    page.screenshot(path=f"{SCREENSHOTS}/case_diagram_main.png", full_page=True)

    # a call activity opens the phase it calls
    _shape(page, "call_verification").click()
    page.wait_for_selector('.bpmn-diagram.is-ready[data-process="complaint_verification"][aria-busy=false]')
    assert "diagram-current" in _shape(page, "verify").get_attribute("class")


def test_the_diagram_fits_a_phone_screen(phone_page, login, verifying_case):
    case_no, handler = verifying_case
    _open_diagram(phone_page, login, handler, case_no)
    assert "diagram-current" in _shape(phone_page, "verify").get_attribute("class")
    overflow = phone_page.evaluate("document.documentElement.scrollWidth - window.innerWidth")
    assert overflow <= 0, f"the page scrolls sideways by {overflow}px at phone width"
    canvas = phone_page.locator(".diagram-canvas").bounding_box()
    assert canvas and canvas["width"] <= 390
    phone_page.screenshot(path=f"{SCREENSHOTS}/case_diagram_phone.png", full_page=True)
