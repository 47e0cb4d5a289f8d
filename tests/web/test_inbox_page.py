"""The inbox page: the user's org's ready tasks, least time left first, tabs with counts, filters,
search, claim/unclaim (POST with CSRF) and keyset paging."""
from __future__ import annotations

import re
from datetime import timedelta

import pytest

from app.web import inbox_views
from tests.drive import travel
from tests.lifecycle_paths import RECEIVE_ACCEPT, TRIAGE_ACCEPT
from tests.web.staff_pages import advance, colleague, file_complaint, form_token, ready_task, sign_in_as, text

CASE_NO = re.compile(r'class="mono" href="/cases/(BB-\d{4}-\d{6})"')


@pytest.fixture(autouse=True)
def traveller():
    with travel() as t:
        yield t


def _case_nos(html: str) -> list[str]:
    return CASE_NO.findall(html)


def test_the_inbox_lists_the_orgs_tasks_with_due_date_and_working_days_left(client, auth, staff_client):
    case_no = file_complaint(client, auth)
    page = text(staff_client("intake_12345").get("/inbox"))
    assert _case_nos(page) == [case_no]
    assert "受理审查" in page and "剩 1 个工作日" in page and "badge-due_soon" in page
    assert "2026-03-03 23:59" in page  # due at the end of the next working day (Beijing time)


def test_another_orgs_user_sees_an_empty_inbox(client, auth, staff_client):
    file_complaint(client, auth)
    page = text(staff_client("handler_whgov").get("/inbox"))
    assert _case_nos(page) == []
    assert "暂无待办任务" in page


def test_anonymous_visitors_are_sent_to_sign_in(client):
    resp = client.get("/inbox")
    assert resp.status_code == 302 and "/login" in resp.headers["Location"]


def test_rows_come_least_time_left_first_not_oldest_first(app, client, auth, staff_client, traveller):
    older = file_complaint(client, auth, 0)
    advance(app, client, auth, older, "triage", TRIAGE_ACCEPT["data"])
    advance(app, client, auth, older, "receive_referral", RECEIVE_ACCEPT["data"])  # verify: 10 working days
    traveller.shift(timedelta(days=1))
    newer = file_complaint(client, auth, 1)
    advance(app, client, auth, newer, "triage", TRIAGE_ACCEPT["data"])  # receive_referral: 2 working days
    page = text(staff_client("handler_hygov").get("/inbox"))
    assert _case_nos(page) == [newer, older]
    assert page.index("签收转办") < page.index("核实投诉")


def test_tabs_count_mine_unclaimed_and_overdue(app, client, auth, staff_client, traveller):
    first, second = file_complaint(client, auth, 0), file_complaint(client, auth, 1)
    officer = staff_client("intake_12345")
    task = ready_task(app, first, "triage")
    page = text(officer.get("/inbox"))
    assert officer.post(f"/tasks/{task.id}/claim", data={"csrf_token": form_token(page), "next": "/inbox"}).status_code == 302
    page = text(officer.get("/inbox"))
    counts = dict(re.findall(r'tab-(\w+)"\s*(?:aria-current="page")?>[^<]*<span class="count">(\d+)</span>', page))
    assert counts == {"all": "2", "mine": "1", "unclaimed": "1", "due_soon": "2", "overdue": "0"}
    assert _case_nos(text(officer.get("/inbox?tab=mine"))) == [first]
    assert _case_nos(text(officer.get("/inbox?tab=unclaimed"))) == [second]
    traveller.shift(timedelta(days=3))  # past the one working day
    overdue = text(officer.get("/inbox?tab=overdue"))
    assert sorted(_case_nos(overdue)) == sorted([first, second])
    assert "badge-overdue" in overdue and "逾期" in overdue


def test_search_finds_a_case_by_number_enterprise_or_contract(client, auth, staff_client):
    a = file_complaint(client, auth, 0, title="农业产业园配套道路建设合同")
    b = file_complaint(client, auth, 1, title="学校食堂食材采购合同")
    officer = staff_client("intake_12345")
    assert _case_nos(text(officer.get("/inbox", query_string={"q": "恒达建材"}))) == [b]
    assert _case_nos(text(officer.get("/inbox", query_string={"q": "道路建设"}))) == [a]
    assert _case_nos(text(officer.get("/inbox", query_string={"q": b}))) == [b]
    none = text(officer.get("/inbox", query_string={"q": "没有这家公司"}))
    assert _case_nos(none) == [] and "没有符合条件的待办任务" in none


def test_stage_and_channel_filters_narrow_the_list(app, client, auth, staff_client):
    a, b = file_complaint(client, auth, 0), file_complaint(client, auth, 1)
    advance(app, client, auth, a, "triage", TRIAGE_ACCEPT["data"])
    advance(app, client, auth, b, "triage", TRIAGE_ACCEPT["data"])
    advance(app, client, auth, b, "receive_referral", RECEIVE_ACCEPT["data"])
    handler = staff_client("handler_hygov")
    assert _case_nos(text(handler.get("/inbox?stage=referral"))) == [a]
    assert _case_nos(text(handler.get("/inbox?stage=verification"))) == [b]
    assert _case_nos(text(handler.get("/inbox?channel=hotline_12345"))) == []
    assert sorted(_case_nos(text(handler.get("/inbox?channel=credit_site_column&region=340321")))) == sorted([a, b])


def test_claim_needs_the_csrf_token_and_unclaim_releases(app, client, auth, staff_client):
    case_no = file_complaint(client, auth)
    task = ready_task(app, case_no, "triage")
    officer = staff_client("intake_12345")
    assert officer.post(f"/tasks/{task.id}/claim").status_code == 400
    token = form_token(text(officer.get("/inbox")))
    resp = officer.post(f"/tasks/{task.id}/claim", data={"csrf_token": token, "next": "/inbox?tab=mine"})
    assert resp.status_code == 302 and resp.headers["Location"].endswith("/inbox?tab=mine")
    page = text(officer.get("/inbox"))
    assert "我已认领" in page and "已认领「受理审查」" in page
    resp = officer.post(f"/tasks/{task.id}/unclaim", data={"csrf_token": token, "next": "/inbox"})
    assert resp.status_code == 302
    page = text(officer.get("/inbox"))
    assert "我已认领" not in page and 'action="/tasks/%s/claim"' % task.id in page


def test_a_colleagues_claim_shows_who_has_it_and_cannot_be_taken(app, client, auth, staff_client):
    case_no = file_complaint(client, auth)
    advance(app, client, auth, case_no, "triage", TRIAGE_ACCEPT["data"])
    task = ready_task(app, case_no, "receive_referral")
    other = sign_in_as(app, *colleague(app))
    token = form_token(text(other.get("/inbox")))
    assert other.post(f"/tasks/{task.id}/claim", data={"csrf_token": token}).status_code == 302
    handler = staff_client("handler_hygov")
    page = text(handler.get("/inbox"))
    assert "王晓东 已认领" in page and f'action="/tasks/{task.id}/claim"' not in page
    resp = handler.post(f"/tasks/{task.id}/claim", data={"csrf_token": form_token(page), "next": "/inbox"},
                        follow_redirects=True)
    assert "认领未成功" in text(resp) and "王晓东" in text(resp)


def test_the_next_page_link_continues_after_the_last_row(client, auth, staff_client, monkeypatch, traveller):
    monkeypatch.setattr(inbox_views, "PAGE_SIZE", 2)
    filed = []
    for n in range(3):
        filed.append(file_complaint(client, auth, n))
        traveller.shift(timedelta(days=1))
    officer = staff_client("intake_12345")
    first = text(officer.get("/inbox"))
    assert _case_nos(first) == filed[:2]
    next_url = re.search(r'href="([^"]+)" rel="next"', first).group(1).replace("&amp;", "&")
    second = text(officer.get(next_url))
    assert _case_nos(second) == filed[2:]
    assert 'rel="next"' not in second and "回到第一页" in second
    assert _case_nos(text(officer.get("/inbox?after=not-a-cursor"))) == filed[:2]


def test_claiming_a_task_finished_meanwhile_says_so_instead_of_failing(app, client, auth, staff_client):
    case_no = file_complaint(client, auth)
    task = ready_task(app, case_no, "triage")
    officer = staff_client("intake_12345")
    token = form_token(text(officer.get("/inbox")))
    advance(app, client, auth, case_no, "triage", TRIAGE_ACCEPT["data"])
    resp = officer.post(f"/tasks/{task.id}/claim", data={"csrf_token": token, "next": "/inbox"}, follow_redirects=True)
    assert resp.status_code == 200 and "该任务已办结或已取消" in text(resp)
    outsider = staff_client("handler_whgov")
    token = form_token(text(outsider.get("/inbox")))
    assert outsider.post(f"/tasks/{task.id}/claim", data={"csrf_token": token}).status_code == 404
