"""The working-day calendar page in Chromium: an admin pastes next year's schedule, sees the deadline
it moves, confirms, and the December banner goes; the pages fit a desk and a phone."""
from __future__ import annotations

import time_machine
from sqlalchemy import select

from app import clock
from app.db import db
from app.models import ReadyTask
from tests.browser.test_workbench_journeys import shot
from tests.drive import ServiceDriver, complaint_for
from tests.lifecycle_paths import ACCEPT_AND_REFER

SCHEDULE = "2027-01-01 休 元旦\n2027-02-05..2027-02-11 休 春节\n2027-02-13 班 春节调休\n"
CHRISTMAS_EVE = "2026-12-24T09:00:00+08:00"


def _provisional_verification(app, traveller) -> str:
    """A case referred on 24 December: its 10-working-day verification ends in 2027 (task id)."""
    with app.app_context():
        driver = ServiceDriver(traveller)
        case_no, _code = driver.file(complaint_for({}))
        for step in ACCEPT_AND_REFER:
            driver.complete(case_no, step["task"], step["data"])
        task = db.session.execute(select(ReadyTask).where(ReadyTask.case_id == driver.case(case_no).id)).scalar_one()
        assert task.due_at is None and task.due_basis["provisional"]
        task_id = task.id
        db.session.remove()
    return task_id


def _due(app, task_id: str):
    with app.app_context():
        due = db.session.get(ReadyTask, task_id).due_at
        db.session.remove()
    return due


def _overflow(page) -> int:
    return page.evaluate("document.documentElement.scrollWidth - window.innerWidth")


def test_admin_previews_the_moved_deadline_then_applies_it(app, page, phone_page, login):
    with time_machine.travel(CHRISTMAS_EVE, tick=True) as traveller:
        task_id = _provisional_verification(app, traveller)
        login(page, "admin", next="/admin/calendar")
        banner = page.locator("[data-calendar-banner]")
        assert banner.get_attribute("data-calendar-banner") == "warning" and "2027" in banner.inner_text()
        assert _overflow(page) <= 0
        shot(page, "calendar_desk")

        page.click(".page-head >> text=载入 2027 年安排")
        page.fill("#f-source_doc", "国办发明电〔2026〕X号（测试数据）")
        page.fill("#f-text", SCHEDULE)
        with page.expect_navigation():
            page.click("button[value=preview]")
        preview = page.locator("#preview")
        assert "尚未保存" in preview.inner_text()
        rows = preview.locator("table.cal-moved tbody tr")
        assert rows.count() == 1 and rows.first.get_attribute("data-task") == task_id
        assert "2027-01-08 23:59" in rows.first.inner_text() and "暂定" in rows.first.inner_text()
        assert _due(app, task_id) is None
        preview.locator("summary").click()  # the year as the schedule draws it
        assert preview.locator("td.cal-day.is-makeup").count() == 1
        assert _overflow(page) <= 0
        shot(page, "calendar_preview_desk")

        with page.expect_navigation():
            page.click("button[value=apply]")
        assert page.url.endswith("/admin/calendar?year=2027")
        assert "调整了 1 个办理期限" in page.locator(".flash-success").inner_text()
        assert page.locator("[data-calendar-banner]").count() == 0
        assert page.locator("td.cal-day.is-holiday.is-override").count() == 8
        assert clock.local(_due(app, task_id)).strftime("%Y-%m-%d %H:%M") == "2027-01-08 23:59"

        login(phone_page, "admin", next="/admin/calendar?year=2027")
        assert _overflow(phone_page) <= 0
        shot(phone_page, "calendar_phone")
        phone_page.goto("/admin/calendar/load?year=2028")
        assert _overflow(phone_page) <= 0
        shot(phone_page, "calendar_load_phone")


def test_a_supervisor_reads_the_calendar_without_a_load_form(page, login):
    login(page, "supervisor_city", next="/admin/calendar?year=2026")
    assert page.locator("h1").inner_text() == "工作日历"
    assert page.locator("a[href*='/admin/calendar/load']").count() == 0
    assert page.locator("td.cal-day.is-holiday").count() > 20
    assert _overflow(page) <= 0
