"""In Chromium: a supervisor sends a 督办 with a reply deadline from the task page; the handler sees it
on the bell, opens it from the notifications list and replies; the supervisor's bell and the case page
show the reply. The supervision pages never scroll sideways at a desk (1366×768) or on a phone (390 px).
Set LVYUE_SCREENSHOTS=<folder> to save the pages."""
from __future__ import annotations

import pytest
from sqlalchemy import select

from app.db import db
from app.models import ReadyTask
from tests.browser.test_workbench_journeys import shot
from tests.drive import ServiceDriver, complaint_for, travel
from tests.lifecycle_paths import ACCEPT_AND_REFER


@pytest.fixture
def verifying(app, demo):
    """A case waiting for verification by handler_hygov: (case number, task id); the clock stays near
    the scenario's start while the browser works (the live server runs in this process)."""
    with travel() as traveller:
        with app.app_context():
            driver = ServiceDriver(traveller)
            case_no, _code = driver.file(complaint_for({}))
            for step in ACCEPT_AND_REFER:
                driver.complete(case_no, step["task"], step["data"])
            task_id = db.session.execute(select(ReadyTask.id).where(
                ReadyTask.case_id == driver.case(case_no).id)).scalar_one()
            db.session.remove()
        yield case_no, task_id


@pytest.fixture
def open_as(browser, live_server, browser_log, login):
    from tests.browser.conftest import PHONE, VIEWPORT, _new_page

    contexts = []

    def make(username: str, phone: bool = False):
        context, page = _new_page(browser, live_server, browser_log, PHONE if phone else VIEWPORT)
        contexts.append(context)
        login(page, username)
        return page

    yield make
    for context in contexts:
        context.close()


def _overflow(page) -> int:
    return page.evaluate("document.documentElement.scrollWidth - window.innerWidth")


def test_a_supervisor_sends_a_supervision_order_and_the_handler_replies(open_as, verifying):
    case_no, task_id = verifying
    supervisor = open_as("supervisor_hy")
    supervisor.goto(f"/tasks/{task_id}")
    supervisor.click("#supervision summary")
    supervisor.check('input[name=kind][value="supervision_order"]')
    supervisor.fill("#order-days", "3")
    supervisor.fill("#order-note", "请于期限内完成核实并书面回复进展。")
    shot(supervisor, "supervision_send_desk")
    with supervisor.expect_navigation():
        supervisor.click("form.order-form button[type=submit]")
    assert "已向怀远县人民政府发出督办" in supervisor.locator(".flash-success").inner_text()
    assert "待回复" in supervisor.locator("#supervision-orders").inner_text()

    handler = open_as("handler_hygov")
    assert handler.locator(".bell-count").inner_text() == "1"
    with handler.expect_navigation():
        handler.click("a.bell")
    assert "【督办】" in handler.locator(".notification.unread").first.inner_text()
    shot(handler, "notifications_desk")
    with handler.expect_navigation():
        handler.click(".notification.unread button:has-text('查看')")
    assert handler.url.endswith(f"/tasks/{task_id}")
    assert handler.locator(".bell-count").count() == 0  # opened, so read
    orders = handler.locator("#supervision-orders")
    assert "请于期限内完成核实并书面回复进展。" in orders.inner_text()
    orders.locator("textarea[name=reply]").fill("已调取付款凭证，正在核对，预计 3 日内完成。")
    shot(handler, "supervision_reply_desk")
    with handler.expect_navigation():
        orders.locator("button[type=submit]").click()
    assert "已回复督办" in handler.locator(".flash-success").inner_text()
    assert "已回复" in handler.locator("#supervision-orders").inner_text()

    supervisor.goto(f"/cases/{case_no}")
    assert supervisor.locator(".bell-count").inner_text() == "1"
    assert "已调取付款凭证" in supervisor.locator("#supervision-orders").inner_text()
    shot(supervisor, "supervision_case_desk")


def test_a_refused_order_keeps_the_note_in_the_open_form(open_as, verifying, browser_log):
    _case_no, task_id = verifying
    browser_log.allow(r"/supervise/tasks/.*/orders")  # the 422 itself, as a response and in the console
    supervisor = open_as("supervisor_hy")
    supervisor.goto(f"/tasks/{task_id}")
    supervisor.click("#supervision summary")
    supervisor.fill("#order-days", "0")
    supervisor.fill("#order-note", "请说明进展。")
    with supervisor.expect_navigation():
        supervisor.click("form.order-form button[type=submit]")
    form = supervisor.locator("#supervision")
    assert form.locator("details").get_attribute("open") is not None
    assert "请填写 1 到 30 之间的整数" in form.inner_text()
    assert supervisor.input_value("#order-note") == "请说明进展。"


@pytest.mark.parametrize("lang", ["zh", "en"])
@pytest.mark.parametrize("phone", [False, True], ids=["desk", "phone"])
def test_the_supervision_pages_fit_the_screen(open_as, verifying, phone, lang):
    case_no, task_id = verifying
    supervisor = open_as("supervisor_city", phone=phone)
    handler = open_as("handler_hygov", phone=phone)
    where = f"{'phone' if phone else 'desk'}_{lang}"
    for tab in (supervisor, handler):
        tab.goto(f"/lang/{lang}?next=/inbox")
    # an extension request waiting for the supervisor and a 督办 waiting for the handler's reply
    handler.goto(f"/tasks/{task_id}")
    handler.click("#extension summary")
    handler.fill("#ext-days", "5")
    handler.fill("#ext-reason", "需调取三年的付款凭证，档案在外地。")
    with handler.expect_navigation():
        handler.click("form.extension-form button[type=submit]")
    supervisor.goto(f"/tasks/{task_id}")
    supervisor.click("#supervision summary")
    supervisor.fill("#order-note", "请加快核实。")
    with supervisor.expect_navigation():
        supervisor.click("form.order-form button[type=submit]")

    for page, path, name in ((supervisor, f"/tasks/{task_id}", "task"), (supervisor, f"/cases/{case_no}", "case"),
                             (supervisor, "/desk/extensions", "extensions"), (handler, "/notifications", "notifications"),
                             (handler, f"/tasks/{task_id}", "task_handler")):
        page.goto(path)
        if name == "case":
            page.click("#reassign summary")
        assert _overflow(page) <= 0, f"{path} scrolls sideways by {_overflow(page)}px ({where})"
        shot(page, f"supervision_{name}_{where}")
    # the bell keeps the header on one line with the user box at a desk, and visible on a phone
    bell = handler.locator("a.bell").bounding_box()
    assert bell and bell["width"] > 0
