"""The main pages read well at a desk (1366×768) and on a phone (390 px): nothing runs off the
side of the screen, in Chinese and in English. With LVYUE_SCREENSHOTS set, each page is saved."""
from __future__ import annotations

import pytest
from sqlalchemy import select

from app.db import db
from app.models import ReadyTask
from tests.browser.test_workbench_journeys import shot
from tests.drive import ServiceDriver, complaint_for, travel
from tests.lifecycle_paths import ACCEPT_AND_REFER

PUBLIC_PAGES = {"home": "/", "complaint_form": "/complaints/new", "follow": "/follow", "login": "/login"}


@pytest.fixture
def verifying(app, demo):
    """A case waiting for verification by handler_hygov: (case number, task id)."""
    with app.app_context(), travel() as traveller:
        driver = ServiceDriver(traveller)
        case_no, _code = driver.file(complaint_for({}))
        for step in ACCEPT_AND_REFER:
            driver.complete(case_no, step["task"], step["data"])
        task = db.session.execute(select(ReadyTask).where(ReadyTask.case_id == driver.case(case_no).id)).scalar_one()
        result = case_no, task.id
        db.session.remove()
    return result


def _overflow(page) -> int:
    return page.evaluate("document.documentElement.scrollWidth - window.innerWidth")


def _check(page, path: str, name: str) -> None:
    page.goto(path)
    page.wait_for_load_state("networkidle")
    assert _overflow(page) <= 0, f"{path} scrolls sideways by {_overflow(page)}px"
    assert page.locator("h1").count() >= 1, f"{path} has no heading"
    shot(page, name)


@pytest.mark.parametrize("lang", ["zh", "en"])
def test_public_pages_fit_a_phone_and_a_desk(page, phone_page, lang):
    for viewport, tab in (("desk", page), ("phone", phone_page)):
        tab.goto(f"/lang/{lang}?next=/")
        for name, path in PUBLIC_PAGES.items():
            _check(tab, path, f"{name}_{viewport}_{lang}")
        if lang == "en":
            assert "File a complaint" in tab.locator("header").inner_text()


@pytest.mark.parametrize("lang", ["zh", "en"])
def test_staff_pages_fit_a_phone_and_a_desk(page, phone_page, login, verifying, lang):
    case_no, task_id = verifying
    for viewport, tab in (("desk", page), ("phone", phone_page)):
        login(tab, "handler_hygov")
        tab.goto(f"/lang/{lang}?next=/inbox")
        for name, path in (("inbox", "/inbox"), ("task", f"/tasks/{task_id}"), ("cases", "/cases"),
                           ("case", f"/cases/{case_no}")):
            _check(tab, path, f"staff_{name}_{viewport}_{lang}")
        if lang == "en":
            assert "Inbox" in tab.locator("header").inner_text()


@pytest.mark.parametrize("username", ["admin", "supervisor_city", "intake_hy", "owner", "handler_hygov"])
def test_the_header_stays_on_one_row_at_a_desk_in_both_languages(page, login, username):
    login(page, username)
    for lang in ("zh", "en"):
        page.goto(f"/lang/{lang}?next=/inbox")
        height = page.locator("header.topbar").bounding_box()["height"]
        assert height < 70, f"{username}'s header wraps in {lang} ({height:.0f}px)"
