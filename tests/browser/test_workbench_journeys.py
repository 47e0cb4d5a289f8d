"""Issue 3's journeys in a real browser: a complaint filed on the public page goes through intake,
referral, verification, rectification and the complainant's confirmation, every step done by the
right demo user in Chromium; the unfounded path ends with the explanation on the complainant's
page; a form with errors keeps its values; the diagram highlights the current task.

Set LVYUE_SCREENSHOTS=<folder> to save the main pages as PNGs (docs/screenshots/ holds the
committed set)."""
from __future__ import annotations

import os
import re
from pathlib import Path

import pytest
from sqlalchemy import select

from app.db import db
from app.models import Case, ReadyTask, User
from tests.browser.conftest import PHONE, VIEWPORT, _new_page
from tests.drive import travel
from tests.lifecycle_paths import SAMPLE_COMPLAINT

SHOTS = os.environ.get("LVYUE_SCREENSHOTS")
PDF = b"%PDF-1.7\n1 0 obj << /Type /Catalog >> endobj\ntrailer << /Root 1 0 R >>\n%%EOF\n"


def shot(page, name: str, full_page: bool = True) -> None:
    if SHOTS:
        Path(SHOTS).mkdir(parents=True, exist_ok=True)
        page.screenshot(path=str(Path(SHOTS) / f"{name}.png"), full_page=full_page)


@pytest.fixture(autouse=True)
def working_days_known():
    """The journeys run on a fixed weekday of a year the working calendar covers (time ticks on, for
    the live server thread too), so a 20-working-day rectification never reaches an unloaded year."""
    with travel():
        yield


@pytest.fixture
def open_as(browser, live_server, browser_log, login):
    """open_as(username=None, phone=False) -> a page in its own browser context, signed in when named."""
    contexts = []

    def make(username: str | None = None, phone: bool = False):
        context, page = _new_page(browser, live_server, browser_log, PHONE if phone else VIEWPORT)
        contexts.append(context)
        if username:
            login(page, username)
        return page

    yield make
    for context in contexts:
        context.close()


def fill_form(page, data: dict, prefix: str = "", scope: str = "form.task-form") -> None:
    """Fill named inputs the way a person would: type text, pick radios and options, tick boxes."""
    for key, value in data.items():
        name = f"{prefix}{key}"
        if isinstance(value, dict):
            fill_form(page, value, prefix=f"{name}.", scope=scope)
            continue
        radio = page.locator(f'{scope} input[type=radio][name="{name}"]')
        if radio.count():
            choice = str(value).lower() if isinstance(value, bool) else value
            page.check(f'{scope} input[type=radio][name="{name}"][value="{choice}"]')
            continue
        box = page.locator(f'{scope} input[type=checkbox][name="{name}"]')
        if box.count() == 1:
            box.set_checked(bool(value))
            continue
        field = page.locator(f'{scope} [name="{name}"]:not([type=hidden])').first
        if field.evaluate("el => el.tagName") == "SELECT":
            field.select_option(str(value))
        else:
            field.fill(str(value))


def submit(page, scope: str = "form.task-form") -> None:
    with page.expect_navigation():
        page.click(f"{scope} button[type=submit].btn-primary")


def the_case(app, case_no: str) -> Case:
    with app.app_context():
        case = db.session.execute(select(Case).where(Case.case_no == case_no)).scalar_one()
        db.session.expunge(case)
        db.session.remove()
        return case


def user_for_next_task(app, case_no: str) -> tuple[str, str]:
    """(username, task spec id) of the demo user who must act on the case's one ready staff task."""
    with app.app_context():
        case = db.session.execute(select(Case).where(Case.case_no == case_no)).scalar_one()
        tasks = db.session.execute(select(ReadyTask).where(ReadyTask.case_id == case.id,
                                                           ReadyTask.role != "complainant")).scalars().all()
        assert len(tasks) == 1, [t.spec_id for t in tasks]
        user = db.session.execute(select(User).where(User.role == tasks[0].role, User.org_id == tasks[0].org_id)
                                  .order_by(User.id)).scalars().first()
        db.session.remove()
        return user.username, tasks[0].spec_id


def file_public_complaint(page, overrides: dict | None = None) -> tuple[str, str]:
    data = {k: v for k, v in SAMPLE_COMPLAINT.items() if k not in ("channel", "facts", "demands")}
    data = {**data, "statement": {"facts": SAMPLE_COMPLAINT["facts"], "demands": SAMPLE_COMPLAINT["demands"]},
            **(overrides or {})}
    page.goto("/complaints/new")
    scope = "form.complaint-form"
    respondent = data["respondent"]
    fill_form(page, {k: v for k, v in data.items() if k != "respondent"}, scope=scope)
    page.select_option(f'{scope} select[name="respondent.org_code"]', respondent["org_code"])
    page.set_input_files(f'{scope} input[type=file][name="evidence.attachments"]',
                         files=[{"name": "施工合同.pdf", "mimeType": "application/pdf", "buffer": PDF}])
    shot(page, "public_complaint_form")
    with page.expect_navigation():
        page.click(f"{scope} button[type=submit]")
    case_no = page.locator("#case-no").inner_text().strip()
    code = page.locator("#query-code").inner_text().strip()
    assert re.fullmatch(r"BB-\d{4}-\d{6}", case_no) and len(code) >= 8
    shot(page, "public_receipt")
    return case_no, code


def staff_does_next_task(app, open_as, case_no: str, expect_task: str, data: dict, *, check_diagram=False, name=None):
    username, spec_id = user_for_next_task(app, case_no)
    assert spec_id == expect_task
    page = open_as(username)
    page.goto(f"/inbox?q={case_no}")
    row = page.locator("table.data tbody tr", has_text=case_no)
    assert row.count() == 1, f"{username} does not see {case_no} in the inbox"
    if name:
        shot(page, f"{name}_inbox")
    with page.expect_navigation():
        row.locator("a.task-link").click()
    if check_diagram:
        page.wait_for_selector(".bpmn-diagram.is-ready[aria-busy=false]")
        current = page.locator(f'.bpmn-diagram g.djs-element[data-element-id="{spec_id}"]')
        assert "diagram-current" in current.get_attribute("class")
    fill_form(page, data)
    if name:
        shot(page, f"{name}_task")
    submit(page)
    assert page.locator(".flash-success, .flash-message").count() >= 1
    return page


def complainant_opens(open_as, case_no: str, code: str, phone: bool = False):
    page = open_as(phone=phone)
    page.goto("/follow")
    page.fill("#case_no", case_no)
    page.fill("#query_code", code)
    with page.expect_navigation():
        page.click("form button[type=submit]")
    assert f"/follow/{case_no}" in page.url
    return page


def complainant_does(page, form_data: dict, task_form_selector: str = "form.task-form") -> None:
    fill_form(page, form_data, scope=task_form_selector)
    with page.expect_navigation():
        page.click(f"{task_form_selector} button[type=submit]")


def test_a_public_complaint_is_rectified_and_confirmed_entirely_in_the_browser(app, open_as):
    public = open_as()
    case_no, code = file_public_complaint(public)

    staff_does_next_task(app, open_as, case_no, "triage",
                         {"intake_decision": "accept", "triage_note": "材料齐全，属于受理范围。"},
                         check_diagram=True, name="staff")
    staff_does_next_task(app, open_as, case_no, "receive_referral", {"referral_decision": "accept"})
    staff_does_next_task(app, open_as, case_no, "verify", {
        "verification_result": "substantiated_undisputed",
        "verification_findings": "经查，工程已竣工验收，尾款125000元确未支付，被投诉单位承认欠款事实。",
        "verified_amount": "125000.00", "contact_record": "电话联系投诉人，双方对欠款金额无异议。"}, check_diagram=True)
    staff_does_next_task(app, open_as, case_no, "choose_remedy", {
        "remedy": "rectification", "rectify_workdays": "20", "remedy_note": "责令20个工作日内支付尾款。"})
    staff_does_next_task(app, open_as, case_no, "report_rectification", {
        "rectification_report": "已支付工程尾款125000元，附银行回单。", "rectification_done": True})

    complainant = complainant_opens(open_as, case_no, code)
    assert "整改" in complainant.locator("main").inner_text()
    shot(complainant, "public_follow_confirm")
    complainant_does(complainant, {"rectification_confirmed": True, "confirmation_comment": "款项已收到。"})
    complainant_does(complainant, {"follow_up_satisfaction": "satisfied"})
    assert the_case(app, case_no).outcome == "rectified"
    assert the_case(app, case_no).status == "closed"
    shot(complainant, "public_follow_closed")

    staff = open_as("supervisor_city")
    staff.goto(f"/cases/{case_no}")
    text = staff.locator("main").inner_text()
    assert "施工合同.pdf" in text and case_no in text
    shot(staff, "staff_case_page")


def test_an_unfounded_complaint_ends_with_the_explanation_on_the_complainants_page(app, open_as):
    case_no, code = file_public_complaint(open_as())
    staff_does_next_task(app, open_as, case_no, "triage", {"intake_decision": "accept"})
    staff_does_next_task(app, open_as, case_no, "receive_referral", {"referral_decision": "accept"})
    staff_does_next_task(app, open_as, case_no, "verify", {
        "verification_result": "unsubstantiated",
        "verification_findings": "经查，工程尾款已于2024年1月支付至合同约定账户，有银行回单为证。",
        "contact_record": "电话联系投诉人李红，告知核实情况。"})
    explanation = "已电话告知投诉人：尾款已于2024年1月支付，并提供银行回单复印件。"
    staff_does_next_task(app, open_as, case_no, "explain_to_complainant", {
        "explanation_method": "phone", "explanation_content": explanation, "explained_on": "2026-03-05"})
    complainant = complainant_opens(open_as, case_no, code, phone=True)
    assert explanation in complainant.locator("main").inner_text()
    shot(complainant, "public_follow_explained_phone")


def test_a_complaint_with_errors_comes_back_with_every_value_kept(app, open_as, browser_log):
    browser_log.allow(r"\b422\b")  # the page answers 422 with the form and its errors
    page = open_as()
    page.goto("/complaints/new")
    scope = "form.complaint-form"
    fill_form(page, {"complainant": {**SAMPLE_COMPLAINT["complainant"], "uscc": "91340321MA2N8K3P3X"},
                     "contract": SAMPLE_COMPLAINT["contract"],
                     "statement": {"facts": "太短", "demands": SAMPLE_COMPLAINT["demands"]}},
              scope=scope)
    with page.expect_navigation():
        page.click(f"{scope} button[type=submit]")
    assert page.locator('[name="complainant.name"]').input_value() == SAMPLE_COMPLAINT["complainant"]["name"]
    assert page.locator('[name="complainant.uscc"]').input_value() == "91340321MA2N8K3P3X"
    assert page.locator('[name="statement.facts"]').input_value() == "太短"
    assert page.locator('[name="contract.amount_claimed"]').input_value() == "125000.00"
    assert page.locator("#e-complainant\\.uscc").count() == 1
    assert page.locator("#e-statement\\.facts").count() == 1
    shot(page, "public_complaint_errors")
    with app.app_context():
        assert db.session.execute(select(Case)).first() is None
        db.session.remove()
