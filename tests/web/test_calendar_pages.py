"""The working-day calendar page (/admin/calendar), loading a year with a preview of the deadlines it
moves, the December banner on every staff page, and provisional deadlines shown as 暂定."""
from __future__ import annotations

import html as htmlmod
import re

import pytest
import time_machine
from flask import render_template_string
from sqlalchemy import select

from app import clock
from app.db import db
from app.models import AuditEvent, CalendarOverride, CalendarYear, Notification, ReadyTask, User
from tests.web.conftest import csrf_from
from tests.web.staff_pages import advance, file_complaint, text

SCHEDULE = ("# 国务院办公厅关于2027年部分节假日安排的通知（测试数据）\n"
            "2027-01-01 休 元旦\n"
            "2027-02-05..2027-02-11 休 春节\n"
            "2027-02-13 班 春节调休\n")
DOC = "国办发明电〔2026〕X号（测试数据）"
CHRISTMAS_EVE = "2026-12-24T09:00:00+08:00"  # verification (10 working days) then ends in 2027


def _accepted(app, client, auth, n: int) -> str:
    """A complaint accepted and referred: its verification task waits for handler_hygov."""
    case_no = file_complaint(client, auth, n)
    advance(app, client, auth, case_no, "triage", {"intake_decision": "accept"})
    advance(app, client, auth, case_no, "receive_referral", {"referral_decision": "accept"})
    return case_no


def _task(app, case_no: str) -> ReadyTask:
    with app.app_context():
        from app.models import Case

        case = db.session.execute(select(Case).where(Case.case_no == case_no)).scalar_one()
        task = db.session.execute(select(ReadyTask).where(ReadyTask.case_id == case.id)).scalar_one()
        db.session.expunge(task)
        db.session.remove()
    return task


def _preview(client, year="2027", schedule=SCHEDULE, doc=DOC):
    page = client.get(f"/admin/calendar/load?year={year}")
    assert page.status_code == 200
    return client.post("/admin/calendar/load", data={"csrf_token": csrf_from(page.data), "year": year,
                                                     "source_doc": doc, "text": schedule, "action": "preview"})


def _hidden(html: str, name: str) -> str:
    match = re.search(rf'<input type="hidden" name="{name}" value="([^"]*)"', html)
    assert match, f"no hidden {name}"
    return htmlmod.unescape(match.group(1))


def _apply(client, preview_html: str):
    return client.post("/admin/calendar/load", data={
        "csrf_token": csrf_from(preview_html), "action": "apply",
        **{name: _hidden(preview_html, name) for name in ("year", "source_doc", "text", "digest")}})


def _moved_rows(html: str) -> list[str]:
    table = re.search(r'<table class="data responsive cal-moved">(.*?)</table>', html, re.S)
    return re.findall(r'<tr data-task="([^"]+)">', table.group(1)) if table else []


def _stored_years(app) -> list[int]:
    with app.app_context():
        years = list(db.session.execute(select(CalendarYear.year)).scalars())
        db.session.remove()
    return years


# -- loading a year ----------------------------------------------------------------------------------

def test_admin_previews_exactly_the_moved_deadlines_then_applies_them_and_the_handlers_are_told(
        app, client, auth, staff_client):
    with time_machine.travel(CHRISTMAS_EVE, tick=True):
        verifying = _accepted(app, client, auth, 0)
        triaging = file_complaint(client, auth, 1)  # triage: 1 working day -> 25 Dec 2026, not moved
        verify, triage = _task(app, verifying), _task(app, triaging)
        assert verify.due_at is None and verify.due_basis["provisional"] is True
        assert triage.due_at is not None
        admin = staff_client("admin")

        preview = _preview(admin)
        html = text(preview)
        assert preview.status_code == 200
        assert _moved_rows(html) == [verify.id]
        assert "2027-01-08 23:59" in html and verifying in html  # 10 working days after 24 Dec, 1 Jan off
        assert "尚未保存" in html
        assert _task(app, verifying).due_at is None and _stored_years(app) == []  # the preview wrote nothing

        applied = _apply(admin, html)
        assert applied.status_code == 302 and applied.headers["Location"].endswith("/admin/calendar?year=2027")
        moved = _task(app, verifying)
        assert clock.local(moved.due_at).strftime("%Y-%m-%d %H:%M") == "2027-01-08 23:59"
        assert _task(app, triaging).due_at == triage.due_at
        assert _stored_years(app) == [2027]
        with app.app_context():
            handler = db.session.execute(select(User).where(User.username == "handler_hygov")).scalar_one()
            told = db.session.execute(select(Notification).where(Notification.user_id == handler.id,
                                                                 Notification.kind == "deadline_moved")).scalars().all()
            audited = db.session.execute(select(AuditEvent.action).where(
                AuditEvent.action.in_(["calendar_year_loaded", "deadline_recomputed"]))).scalars().all()
            days = db.session.execute(select(CalendarOverride.source_doc)).scalars().all()
            db.session.remove()
        assert len(told) == 1 and sorted(audited) == ["calendar_year_loaded", "deadline_recomputed"]
        assert len(days) == 9 and set(days) == {DOC}

        page = text(admin.get("/admin/calendar?year=2027"))
        assert "已载入 2027 年节假日安排" in page and "调整了 1 个办理期限" in page
        assert DOC in page and "元旦" in page and "春节调休" in page
        assert 'class="cal-day is-makeup is-override"' in page  # Saturday 13 Feb 2027 is worked


def test_a_stale_preview_is_not_applied_and_the_fresh_one_is_shown(app, client, auth, staff_client):
    with time_machine.travel(CHRISTMAS_EVE, tick=True):
        first = _accepted(app, client, auth, 0)
        admin = staff_client("admin")
        html = text(_preview(admin))
        assert _moved_rows(html) == [_task(app, first).id]
        second = _accepted(app, client, auth, 1)  # another deadline into 2027 arrives meanwhile

        stale = _apply(admin, html)
        body = text(stale)
        assert stale.status_code == 409 and "受影响的办理期限已有变化" in body
        assert sorted(_moved_rows(body)) == sorted([_task(app, first).id, _task(app, second).id])
        assert _stored_years(app) == [] and _task(app, first).due_at is None

        assert _apply(admin, body).status_code == 302
        assert _task(app, second).due_at is not None


def test_bad_lines_are_each_named_the_input_is_kept_and_nothing_changes(app, staff_client):
    admin = staff_client("admin")
    bad = "2027-01-01 休 元旦\n2027-02-30 休\n2027-02-13 加班\n2026-12-31 休\n2027-01-01 班\n就这样\n"
    resp = _preview(admin, schedule=bad)
    html = text(resp)
    assert resp.status_code == 422
    assert "第 2 行" in html and "2027-02-30" in html and "无效" in html
    assert "第 3 行" in html and "“加班”无法识别" in html
    assert "第 4 行" in html and "不在 2027 年内" in html
    assert "第 5 行" in html and "与第 1 行的安排相反" in html
    assert "第 6 行" in html
    assert "第 1 行" not in html.split("与第 1 行")[0]  # the good first line is not blamed
    textarea = re.search(r'<textarea[^>]*name="text"[^>]*>\n?(.*?)</textarea>', html, re.S).group(1)
    assert htmlmod.unescape(textarea) == bad
    assert 'id="preview"' not in html
    assert _stored_years(app) == []


@pytest.mark.parametrize("year, doc, message", [
    ("27", DOC, "年度应为"),
    ("2027", "", "请填写国务院办公厅通知的文号"),
    ("2027", "文" * 201, "文号不能超过 200 个字"),
])
def test_a_bad_year_or_document_number_is_a_field_error(app, staff_client, year, doc, message):
    resp = _preview(staff_client("admin"), year=year, doc=doc)
    assert resp.status_code == 422 and message in text(resp)
    assert _stored_years(app) == []


def test_an_empty_list_or_an_overlong_note_is_refused(app, staff_client):
    admin = staff_client("admin")
    assert "请粘贴该年度的放假和调休上班安排" in text(_preview(admin, schedule="# 只有注释\n\n"))
    resp = _preview(admin, schedule="2027-01-01 休 " + "长" * 201 + "\n")
    assert resp.status_code == 422 and "说明不能超过 200 个字" in text(resp)
    assert _stored_years(app) == []


def test_supervisors_see_the_calendar_read_only(app, staff_client):
    supervisor = staff_client("supervisor_city")
    page = supervisor.get("/admin/calendar")
    html = text(page)
    assert page.status_code == 200 and "覆盖情况" in html
    assert "/admin/calendar/load" not in html
    assert supervisor.get("/admin/calendar/load?year=2027").status_code == 404
    resp = supervisor.post("/admin/calendar/load", data={"csrf_token": csrf_from(html), "year": "2027",
                                                         "source_doc": DOC, "text": SCHEDULE, "action": "apply"})
    assert resp.status_code == 404 and _stored_years(app) == []


def test_handlers_do_not_find_the_calendar_pages(staff_client):
    handler = staff_client("handler_hygov")
    assert handler.get("/admin/calendar").status_code == 404
    assert handler.get("/admin/calendar/load").status_code == 404
    assert "/admin/calendar" not in text(handler.get("/inbox"))


# -- the year view -------------------------------------------------------------------------------------

def test_a_chinesecalendar_year_shows_its_holidays_and_make_up_days(staff_client):
    html = text(staff_client("supervisor_city").get("/admin/calendar?year=2026"))
    # Spring Festival 2026: 15–23 February off, Saturdays 14 and 28 February worked
    assert re.search(r'class="cal-day is-holiday"\s+title="2026-02-16 放假 · 春节"', html)
    assert re.search(r'class="cal-day is-makeup"\s+title="2026-02-14 调休上班 · 春节"', html)
    assert "2026-02-15 – 2026-02-23" in html and "放假 9 天" in html
    grid = html.split('<div class="cal-months">')[1]
    assert 'class="cal-day is-weekend"' in grid and "is-override" not in grid  # no admin override in 2026


def test_an_uncovered_year_is_not_guessed(staff_client):
    with time_machine.travel("2026-11-02T09:00:00+08:00", tick=True):
        html = text(staff_client("admin").get("/admin/calendar?year=2027"))
    assert "工作日历未覆盖 2027 年" in html and "不按周一至周五推算" in html
    assert 'class="cal-day' not in html
    assert 'href="/admin/calendar/load?year=2027"' in html


def test_the_page_lists_open_deadlines_waiting_for_the_calendar(app, client, auth, staff_client):
    with time_machine.travel(CHRISTMAS_EVE, tick=True):
        case_no = _accepted(app, client, auth, 0)
        html = text(staff_client("supervisor_city").get("/admin/calendar"))
    assert "1 个待办任务的期限为暂定" in html and case_no in html


# -- the banner ----------------------------------------------------------------------------------------

def _banner(html: str) -> str | None:
    match = re.search(r'data-calendar-banner="(\w+)"', html)
    return match.group(1) if match else None


def test_from_1_december_admins_and_supervisors_are_warned_next_year_is_missing(staff_client):
    with time_machine.travel("2026-12-03T10:00:00+08:00", tick=True):
        admin = text(staff_client("admin").get("/inbox"))
        supervisor = text(staff_client("supervisor_city").get("/cases"))
        handler = text(staff_client("handler_hygov").get("/inbox"))
    assert _banner(admin) == "warning" and "尚未载入 2027 年节假日安排" in admin
    assert 'href="/admin/calendar/load?year=2027"' in admin
    assert _banner(supervisor) == "warning" and "请提醒系统管理员" in supervisor
    assert "/admin/calendar/load" not in supervisor
    assert _banner(handler) is None


def test_no_banner_on_30_november(staff_client):
    with time_machine.travel("2026-11-30T23:00:00+08:00", tick=True):
        assert _banner(text(staff_client("admin").get("/inbox"))) is None
        assert _banner(text(staff_client("supervisor_city").get("/admin/calendar"))) is None


def test_the_banner_goes_once_next_year_is_loaded(app, staff_client):
    with time_machine.travel("2026-12-03T10:00:00+08:00", tick=True):
        admin = staff_client("admin")
        html = text(_preview(admin))
        assert _banner(html) == "warning"
        assert _apply(admin, html).status_code == 302
        assert _banner(text(admin.get("/inbox"))) is None


def test_an_uncovered_current_year_is_an_error_banner(staff_client):
    with time_machine.travel("2027-01-04T09:00:00+08:00", tick=True):
        html = text(staff_client("supervisor_city").get("/inbox"))
    assert _banner(html) == "error" and "工作日历未覆盖本年度（2027 年）" in html


def test_a_banner_that_cannot_be_worked_out_does_not_break_the_page(staff_client, monkeypatch):
    import app.web.calendar_views as views

    def broken(_session):
        raise RuntimeError("cache unavailable")

    monkeypatch.setattr(views, "reference_data", broken)
    with time_machine.travel("2026-12-03T10:00:00+08:00", tick=True):
        resp = staff_client("admin").get("/inbox")
    assert resp.status_code == 200 and _banner(text(resp)) is None


# -- provisional deadlines -----------------------------------------------------------------------------

def test_a_provisional_deadline_renders_as_provisional_with_its_reason(app, client, auth):
    with time_machine.travel(CHRISTMAS_EVE, tick=True):
        verify = _task(app, _accepted(app, client, auth, 0))
        triage = _task(app, file_complaint(client, auth, 1))
    source = ('{% from "calendar_admin/_provisional.html" import provisional_due %}'
              '{% if deadline_is_provisional(task) %}{{ provisional_due(task) }}{% else %}dated{% endif %}')
    with app.test_request_context("/"):
        shown = render_template_string(source, task=verify)
        assert render_template_string(source, task=triage) == "dated"
    assert "暂定" in shown and "工作日历尚未载入的年度" in shown
    assert "10 个工作日" in shown and "2026-12-24 09:" in shown
