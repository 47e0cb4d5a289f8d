"""Batch migration in Chromium: the process owner chooses the cases (version, stage), reads the plan
(the cases that can move ticked, the one that cannot with its reason), changes the selection,
confirms with a note and gets the report; the moved cases are on the new version with their
rectification deadline and reminder timers unchanged. The three pages fit 1366×768 and 390 px.

The clock stays on the test's travelled time while the browser works (the live server runs in this
process), so nothing falls due while the pages are open."""
from __future__ import annotations

import re

import pytest
from sqlalchemy import select

from app.db import db
from app.models import AuditEvent
from tests.browser.test_workbench_journeys import shot
from tests.drive import travel
from tests.web import migration_cases as mc

CHOOSE = f"/models/{mc.KEY}/migrate"


@pytest.fixture
def scenario(app, demo):
    with travel() as traveller:
        yield mc.build(app, traveller)


def _overflow(page) -> int:
    return page.evaluate("document.documentElement.scrollWidth - window.innerWidth")


def _fits(page, name: str) -> None:
    page.wait_for_load_state("networkidle")
    assert _overflow(page) <= 0, f"{page.url} scrolls sideways by {_overflow(page)}px"
    shot(page, name)


def _to_plan(page, stage: str = "rectification") -> None:
    page.goto(CHOOSE)
    page.select_option("#mig-stage", stage)
    with page.expect_navigation():
        page.click("form.mig-choose button[type=submit]")


def test_plan_select_migrate_and_report_in_the_browser(app, scenario, page, login):
    first, second = scenario.movable
    first_id, second_id = (mc.read(app, mc.instance_id, c) for c in scenario.movable)
    before = {c: mc.read(app, mc.deadlines, c) for c in scenario.movable}

    login(page, "owner", next=CHOOSE)
    assert page.locator("h1").inner_text() == "迁移运行中案件"
    assert page.locator("#mig-from").input_value() == str(scenario.base)
    assert page.locator("#mig-to").input_value() == str(scenario.new)
    _fits(page, "migration_choose_desk")

    _to_plan(page)
    assert page.locator("h1").inner_text() == f"迁移计划：版本 {scenario.base} → 版本 {scenario.new}"
    boxes = page.locator("input[name=instance_id]")
    assert boxes.count() == 2 and all(boxes.nth(i).is_checked() for i in range(2))
    refused = page.locator("section[aria-labelledby=mig-refused-title]")
    assert scenario.stuck in refused.inner_text()
    assert "在新版本中修改了办理时限规则" in refused.inner_text()
    count = page.locator("[data-selected-count]")
    assert count.inner_text() == "2"
    _fits(page, "migration_plan_desk")

    # untick one, tick all again, then leave only the first: the button counts along
    page.uncheck(f"#mig-c-{second_id}")
    assert count.inner_text() == "1" and page.locator("[data-select-all]").evaluate("e => e.indeterminate")
    page.check("[data-select-all]")
    assert count.inner_text() == "2" and page.locator(f"#mig-c-{second_id}").is_checked()
    page.uncheck("[data-select-all]")
    assert count.inner_text() == "0" and page.locator("[data-submit]").is_disabled()
    page.check(f"#mig-c-{first_id}")
    page.check(f"#mig-c-{second_id}")

    page.fill("#mig-note", "按省里新规定，确认整改结果时限改为12日")
    with page.expect_navigation():
        page.click("[data-submit]")
    assert re.search(rf"/models/{mc.KEY}/migrations/\d+$", page.url)
    assert page.locator("h1").inner_text() == f"迁移报告：版本 {scenario.base} → 版本 {scenario.new}"
    moved = page.locator("section[aria-labelledby=mig-moved-title]").inner_text()
    assert first in moved and second in moved and "已变化" not in moved
    assert page.locator(".mig-deadlines .badge-ok").count() == 6  # task + deadline timer + reminder, per case
    assert "所有已迁移案件的办理期限和催办定时器均与迁移前一致" in page.locator("main").inner_text()
    assert "按省里新规定，确认整改结果时限改为12日" in page.locator("main").inner_text()
    _fits(page, "migration_report_desk")

    # the database: new version, the same deadlines and timers, the batch in the audit trail
    for case_no in scenario.movable:
        assert mc.read(app, mc.version_of, case_no) == scenario.new
        assert mc.read(app, mc.deadlines, case_no) == before[case_no]
    assert mc.read(app, mc.version_of, scenario.stuck) == scenario.base

    def batch():
        return db.session.execute(select(AuditEvent.detail).where(AuditEvent.action == "cases_migrated")).scalar_one()
    assert sorted(mc.read(app, batch)["moved"]) == sorted([first_id, second_id])


def test_the_migration_pages_fit_a_phone(app, scenario, phone_page, login):
    login(phone_page, "owner", next=CHOOSE)
    _fits(phone_page, "migration_choose_phone")
    _to_plan(phone_page, stage="")
    _fits(phone_page, "migration_plan_phone")
    assert phone_page.locator("input[name=instance_id]").count() == 3
    phone_page.fill("#mig-note", "按新规定迁移")
    with phone_page.expect_navigation():
        phone_page.click("[data-submit]")
    assert "/migrations/" in phone_page.url
    _fits(phone_page, "migration_report_phone")
    phone_page.goto(CHOOSE + "?lang=en")
    _fits(phone_page, "migration_choose_phone_en")
