"""The supervisors' desk in the browser, through the Flask client: the live board (scope, order,
filters, escalation level, the refresh partial), the league table for a period (drill-down numbers
equal the league figures, charts, XLSX) and the needs-attention list with its clear button."""
from __future__ import annotations

import re
from contextlib import contextmanager
from datetime import date, timedelta
from html import unescape
from io import BytesIO

import pytest
from openpyxl import load_workbook
from sqlalchemy import select

from app import clock
from app.db import db, unit_of_work
from app.models import Case, OutboxMessage, User
from app.queries.supervision import league_table
from app.services.accounts import actor_for
from app.web.desk_period import read_period
from tests.drive import ServiceDriver, complaint_for, travel
from tests.lifecycle_paths import RECEIVE_ACCEPT, TRIAGE_ACCEPT, VERIFY_UNSUBSTANTIATED
from tests.supervision.conftest import Verification, task_facts
from tests.web.conftest import csrf_from
from tests.web.staff_pages import text

WUHE = {"respondent": {"org_code": "WH-HOUSING", "name": "五河县住房和城乡建设局"}, "contract": {"contract_no": "WH-2"}}
ANOTHER = {"contract": {"contract_no": "HYZJ-2024-002"}}
MARCH = "period=month&month=2026-03"
BOARD_ROW = re.compile(r'<tr class="urgency-(\w+)" data-task="([^"]+)">')
CASE_LINK = re.compile(r'<a class="mono" href="/cases/(BB-\d{4}-\d{6})"')
DRILL = re.compile(r'<a class="drill[^"]*" href="([^"]+)" data-metric="(\w+)"(?: data-stage="\w+")?>([^<]+)</a>')
DRILL_ROW = re.compile(r'<tr data-case="(BB-\d{4}-\d{6})">')


@pytest.fixture
def verification(app, demo):
    """A complaint waiting for verification by 怀远县人民政府 (the handler's 10-working-day clock).
    Unlike the API tests' fixture, no app context stays pushed: each page request gets its own
    (sign-in state lives in the app context's `g`), so test steps run inside `within(app)`."""
    with travel() as traveller:
        with within(app):
            driver = ServiceDriver(traveller)
            case_no, _code = driver.file(complaint_for({}))
            driver.complete(case_no, "triage", TRIAGE_ACCEPT["data"])
            driver.complete(case_no, "receive_referral", RECEIVE_ACCEPT["data"])
        yield Verification(driver, traveller, case_no)


@contextmanager
def within(app):
    with app.app_context():
        try:
            yield
        finally:
            db.session.remove()


def _board_cases(html: str) -> list[str]:
    return CASE_LINK.findall(html.split('data-board-part', 1)[1])


def _get(client, url: str):
    return client.get(url)


# -- live board ----------------------------------------------------------------------------------

def test_a_county_supervisor_sees_only_their_county_and_the_city_sees_all(app, verification, staff_client):
    v = verification
    with within(app):
        other, _ = v.driver.file(complaint_for({"complaint": WUHE}))
    county = text(_get(staff_client("supervisor_hy"), "/desk"))
    city = text(_get(staff_client("supervisor_city"), "/desk"))
    assert _board_cases(county) == [v.case_no]
    assert sorted(_board_cases(city)) == sorted([v.case_no, other])
    assert 'name="region"' not in county and 'name="region"' in city  # one region: no region filter


def test_overdue_clocks_come_first_with_their_escalation_level(app, verification, staff_client):
    v = verification
    with within(app):
        facts = task_facts(v)
        v.move_to(facts["due_at"], minutes=60)
        assert v.escalate() == 4  # 50 %, 80 %, overdue, 催办 at once
        fresh, _ = v.driver.file(complaint_for({"complaint": ANOTHER}))
    html = text(_get(staff_client("supervisor_hy"), "/desk"))
    rows = BOARD_ROW.findall(html)
    assert [u for u, _t in rows][0] == "overdue" and _board_cases(html) == [v.case_no, fresh]
    first_row = html.split('data-task="', 2)[1]
    assert 'class="esc esc-4"' in first_row and "催办" in first_row and "逾期 1 个工作日" in first_row
    assert re.search(r'<span class="n">1</span><span class="what">已逾期</span>', html)
    assert re.search(r'<span class="n">1</span><span class="what">已催办</span>', html)
    assert f'href="/tasks/{facts["id"]}"' in html and f'href="/cases/{v.case_no}"' in html


def test_the_board_filters_by_org_region_stage_and_channel(verification, staff_client):
    v = verification
    client = staff_client("supervisor_city")
    assert _board_cases(text(_get(client, "/desk?org=HY-GOV&stage=verification"))) == [v.case_no]
    assert _board_cases(text(_get(client, "/desk?org=WH-GOV"))) == []
    assert _board_cases(text(_get(client, "/desk?region=340321"))) == [v.case_no]
    assert _board_cases(text(_get(client, "/desk?region=340322"))) == []
    assert _board_cases(text(_get(client, "/desk?stage=intake"))) == []
    assert _board_cases(text(_get(client, "/desk?channel=hotline_12345"))) == []
    # a value that is not one of the choices is ignored, not an empty board
    assert _board_cases(text(_get(client, "/desk?org=NO-SUCH"))) == [v.case_no]


def test_the_refresh_partial_is_only_the_table_with_the_same_filters(verification, staff_client):
    v = verification
    client = staff_client("supervisor_hy")
    page = text(_get(client, "/desk?org=HY-GOV"))
    assert 'data-refresh-url="/desk/board.part?org=HY-GOV"' in page and "js/desk.js" in page
    assert 'href="/desk?org=HY-GOV" data-refresh-now' in page  # without the script: a plain refresh link
    part = _get(client, "/desk/board.part?org=HY-GOV")
    body = text(part)
    assert part.status_code == 200 and part.headers["Cache-Control"] == "no-store"
    assert "<html" not in body and "<nav" not in body and "data-board-part" in body
    assert _board_cases(body) == [v.case_no] and re.search(r"更新于 \d\d:\d\d:\d\d", body)
    assert _board_cases(text(_get(client, "/desk/board.part?org=HY-HOUSING"))) == []


@pytest.mark.parametrize("username", ["handler_hygov", "intake_12345", "owner"])
def test_the_desk_is_not_there_for_other_roles(verification, staff_client, username):
    client = staff_client(username)
    for path in ("/desk", "/desk/board.part", f"/desk/league?{MARCH}", "/desk/attention",
                 f"/desk/league/cases?org=HY-GOV&metric=received&{MARCH}", f"/desk/league.xlsx?{MARCH}"):
        assert _get(client, path).status_code == 404, path


def test_other_roles_cannot_clear_attention(app, verification, staff_client):
    _flag(app, verification.case_no, "Timer verify_deadline failed 5 times: boom")
    handler = staff_client("handler_hygov")
    token = csrf_from(text(_get(handler, "/inbox")))
    assert handler.post(f"/desk/attention/{verification.case_no}/clear",
                        data={"csrf_token": token}).status_code == 404
    with within(app):
        assert verification.case.needs_attention is True


def test_anonymous_visitors_are_sent_to_sign_in(verification, client):
    resp = _get(client, "/desk/board.part")
    assert resp.status_code == 302 and "/login" in resp.headers["Location"]


def test_admins_see_the_city_board(verification, staff_client):
    assert _board_cases(text(_get(staff_client("admin"), "/desk"))) == [verification.case_no]


# -- league table ----------------------------------------------------------------------------------

def _finish_late_with_an_extension(app, v, client, auth):
    """verify: 5 more working days approved, finished a day after the original deadline."""
    with within(app):
        facts = task_facts(v)
    asked = client.post(f"/api/v1/tasks/{facts['id']}/extension-requests", headers=auth("handler_hygov"),
                        json={"workdays": 5, "reason": "需调取档案"})
    client.post(f"/api/v1/extension-requests/{asked.get_json()['id']}/decision", headers=auth("supervisor_hy"),
                json={"approve": True})
    with within(app):
        v.move_to(facts["due_at"], minutes=24 * 60)
    done = client.post(f"/api/v1/tasks/{facts['id']}/complete", headers=auth("handler_hygov"),
                       json={"data": VERIFY_UNSUBSTANTIATED["data"]})
    assert done.status_code == 200


def _figures(app, username: str, start: date, end: date) -> dict[str, dict]:
    with within(app):
        user = db.session.execute(select(User).where(User.username == username)).scalar_one()
        rows = league_table(db.session, actor_for(user), clock.now(), start, end)
    return {r["org"]: r for r in rows}


def test_every_count_in_the_league_table_lists_exactly_that_many_cases(app, verification, client, auth,
                                                                        staff_client):
    v = verification
    _finish_late_with_an_extension(app, v, client, auth)
    desk = staff_client("supervisor_hy")
    html = text(_get(desk, f"/desk/league?{MARCH}"))
    links = [(unescape(url), metric, label.strip()) for url, metric, label in DRILL.findall(html)]
    assert {m for _u, m, _l in links} >= {"received", "completed", "late_original", "overdue_now", "extensions",
                                           "returns", "reopened"}
    checked = 0
    for url, metric, label in links:
        listed = DRILL_ROW.findall(text(_get(desk, url)))
        number = re.search(r"\d+(?:\.\d+)?", label).group(0)
        if metric in ("received", "overdue_now", "extensions", "returns", "late_original", "late_extended") \
                and "%" not in label:
            assert len(listed) == int(number), (url, label, listed)
            checked += 1
    assert checked >= 5
    figures = _figures(app, "supervisor_hy", date(2026, 3, 1), date(2026, 3, 31))["HY-GOV"]
    row = html.split('<tr data-org="HY-GOV">', 1)[1].split("</tr>", 1)[0]
    assert f'data-metric="received">{figures["received"]}</a>' in row
    assert "50.0%" in row and "100.0%" in row  # original 1/2, extended 2/2 (receive_referral and verify)
    assert "超时 1 件" in row and 'data-stage="verification">11.0</a>' in row


def test_a_rate_drills_down_to_the_stages_it_measures(app, verification, client, auth, staff_client):
    v = verification
    _finish_late_with_an_extension(app, v, client, auth)
    desk = staff_client("supervisor_hy")
    html = text(_get(desk, f"/desk/league/cases?org=HY-GOV&metric=completed&{MARCH}"))
    assert DRILL_ROW.findall(html) == [v.case_no]
    # two completed stages; on time 1 by the original deadline (50.0%), 2 by the extended one (100.0%)
    assert re.search(r'data-stage-count>2<', html) and re.search(r"data-on-time-original>1<", html)
    assert re.search(r"data-on-time-extended>2<", html) and "50.0%" in html and "100.0%" in html
    assert "原时限超时" in html and "延期后按期" in html
    one_stage = text(_get(desk, f"/desk/league/cases?org=HY-GOV&metric=completed&stage=verification&{MARCH}"))
    assert re.search(r"data-stage-count>1<", one_stage) and "11 个工作日" in one_stage
    assert DRILL_ROW.findall(text(_get(desk, f"/desk/league/cases?org=HY-GOV&metric=completed&stage=intake&{MARCH}"))) == []


def test_a_drill_down_never_shows_another_regions_cases(app, verification, staff_client):
    v = verification
    with within(app):
        other, _ = v.driver.file(complaint_for({"complaint": WUHE}))
        v.driver.complete(other, "triage", TRIAGE_ACCEPT["data"])  # referred: 五河县人民政府 handles it
    url = "/desk/league/cases?org={}&metric=received&" + MARCH
    city = staff_client("supervisor_city")
    assert len(DRILL_ROW.findall(text(_get(city, url.format("WH-GOV"))))) == 1
    assert DRILL_ROW.findall(text(_get(staff_client("supervisor_hy"), url.format("WH-GOV")))) == []
    assert _get(city, url.format("NO-SUCH")).status_code == 404
    assert _get(city, f"/desk/league/cases?org=HY-GOV&metric=nonsense&{MARCH}").status_code == 404


def test_the_league_draws_its_charts_as_svg_with_a_data_table(app, verification, staff_client):
    v = verification
    with within(app):
        v.move_to(task_facts(v)["due_at"], minutes=60)
    html = text(_get(staff_client("supervisor_hy"), f"/desk/league?{MARCH}"))
    trend = html.split('class="chart chart-trend', 1)[1].split("</figure>", 1)[0]
    assert '<title id="trend-title">' in trend and "<desc" in trend and "<table" in trend
    assert ">2025</text>" in trend and ">2026</text>" in trend  # the months cross a new year
    assert trend.count('class="bar-received"') == 6  # the 6 months up to March (Oct–Mar)
    overdue = html.split('class="chart chart-overdue', 1)[1].split("</figure>", 1)[0]
    assert "怀远县人民政府" in overdue and "metric=overdue_now" in overdue and "<title" in overdue
    assert "<script" not in html.split("</main>", 1)[0]


def test_the_period_chooser_reads_month_quarter_year_and_custom(app):
    today = date(2026, 5, 20)
    with app.test_request_context():
        def read(**args):
            return read_period(args, today)
        assert (read().period.start, read().period.end) == (date(2026, 5, 1), date(2026, 5, 31))
        q = read(period="quarter", quarter="2026-Q1").period
        assert (q.start, q.end, q.shifted(1).start) == (date(2026, 1, 1), date(2026, 3, 31), date(2026, 4, 1))
        y = read(period="year", year="2025").period
        assert (y.start, y.end) == (date(2025, 1, 1), date(2025, 12, 31))
        c = read(**{"from": "2026-02-10", "to": "2026-03-05"}).period
        assert (c.kind, c.start, c.end) == ("custom", date(2026, 2, 10), date(2026, 3, 5))
        assert c.args() == {"period": "custom", "from": "2026-02-10", "to": "2026-03-05"}
        assert "to" in read(**{"from": "2026-03-05", "to": "2026-02-10"}).errors
        assert "to" in read(**{"from": "2024-01-01", "to": "2026-01-01"}).errors
        assert "month" in read(period="month", month="2026-13").errors
        assert read(period="month", month="2026-02").period.end == date(2026, 2, 28)


def test_a_bad_custom_period_is_shown_with_the_error(verification, staff_client):
    resp = _get(staff_client("supervisor_hy"), "/desk/league?period=custom&from=2026-03-31&to=2026-03-01")
    html = text(resp)
    assert resp.status_code == 422 and "结束日期不能早于开始日期" in html
    assert 'value="2026-03-31"' in html  # what was typed stays


def test_the_league_exports_the_same_period_to_xlsx(app, verification, client, auth, staff_client):
    v = verification
    _finish_late_with_an_extension(app, v, client, auth)
    desk = staff_client("supervisor_hy")
    assert f'href="/desk/league.xlsx?{MARCH}"' in unescape(text(_get(desk, f"/desk/league?{MARCH}")))
    resp = _get(desk, f"/desk/league.xlsx?{MARCH}")
    assert resp.status_code == 200 and resp.mimetype == (
        "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet")
    assert "league_2026-03-01_2026-03-31.xlsx" in resp.headers["Content-Disposition"]
    sheet = load_workbook(BytesIO(resp.data)).active
    assert "2026-03-01" in sheet["A1"].value and "2026-03-31" in sheet["A1"].value
    rows = {r[0]: r for r in sheet.iter_rows(min_row=3, values_only=True)}
    assert rows["HY-GOV"][2] == 1 and rows["HY-GOV"][4] == 0.5  # received, on-time rate (original)


# -- needs attention -------------------------------------------------------------------------------

def _flag(app, case_no: str, reason: str, attempts: int = 0) -> None:
    with within(app), unit_of_work(db.session):
        case = db.session.execute(select(Case).where(Case.case_no == case_no)).scalar_one()
        case.needs_attention, case.attention_reason = True, reason
        if attempts:
            db.session.add(OutboxMessage(created_at=clock.now(), topic="breach_determined", case_id=case.id,
                                         payload={}, attempts=attempts, last_error="HTTP 503 from the credit platform",
                                         next_attempt_at=clock.now() + timedelta(minutes=8)))


def test_the_attention_list_shows_the_reason_and_attempts_and_clears_with_csrf(app, verification, staff_client):
    v = verification
    _flag(app, v.case_no, "Delivery of 'breach_determined' failed 5 times: HTTP 503", attempts=6)
    desk = staff_client("supervisor_hy")
    page = text(_get(desk, "/desk/attention"))
    item = page.split(f'data-case="{v.case_no}"', 1)[1]
    assert "failed 5 times" in item and '<span class="n">6</span>' in item and "HTTP 503 from the credit platform" in item
    assert "违约失信认定已推送" in item and "推送失败" in item
    assert re.search(r'需关注<span class="count count-alert">1</span>', page)
    url = f"/desk/attention/{v.case_no}/clear"
    assert desk.post(url, data={"note": "已恢复"}).status_code == 400  # no CSRF token
    done = desk.post(url, data={"note": "信用平台已恢复", "csrf_token": csrf_from(page)})
    assert done.status_code == 302 and done.headers["Location"].endswith("/desk/attention")
    after = text(_get(desk, "/desk/attention"))
    assert f"已将案件 {v.case_no} 移出需关注列表" in after and f'data-case="{v.case_no}"' not in after
    assert "没有需要关注的案件" in after
    with within(app):
        assert v.case.needs_attention is False
    again = desk.post(url, data={"csrf_token": csrf_from(after)}, follow_redirects=True)
    assert "已不在需关注列表中" in text(again)


def test_attention_is_scoped_to_the_region_and_only_supervisors_clear(app, verification, staff_client):
    v = verification
    with within(app):
        other, _ = v.driver.file(complaint_for({"complaint": WUHE}))
    _flag(app, v.case_no, "Timer verify_deadline failed 5 times: boom")
    _flag(app, other, "Timer x failed 5 times: boom")
    county = text(_get(staff_client("supervisor_hy"), "/desk/attention"))
    assert f'data-case="{v.case_no}"' in county and f'data-case="{other}"' not in county
    assert "定时器执行失败" in county and '<span class="n">5</span>' in county  # from the recorded reason
    admin = staff_client("admin")
    admin_page = text(_get(admin, "/desk/attention"))
    assert f'data-case="{other}"' in admin_page and "/clear" not in admin_page
    assert admin.post(f"/desk/attention/{other}/clear", data={"csrf_token": csrf_from(admin_page)}).status_code == 404
    hy = staff_client("supervisor_hy")
    token = csrf_from(text(_get(hy, "/desk/attention")))
    assert hy.post(f"/desk/attention/{other}/clear", data={"csrf_token": token}).status_code == 404


def _untranslated_org_names(app) -> list[str]:
    """Orgs other tests add to the directory (data, not page text) have no English name."""
    from app.models import Org
    from app.web.i18n import catalog

    with app.app_context():
        names = [name for (name,) in db.session.execute(select(Org.name)) if not catalog("en").get(name)]
        db.session.remove()
    return sorted(names, key=len, reverse=True)


def test_the_desk_reads_in_english(app, verification, staff_client):
    desk = staff_client("supervisor_city")
    data_names = _untranslated_org_names(app)
    for path in ("/desk?lang=en", f"/desk/league?{MARCH}&lang=en", "/desk/attention?lang=en"):
        html = text(_get(desk, path))
        main = html.split('<main', 1)[1].split("</main>", 1)[0]
        for name in data_names:
            main = main.replace(name, "")
        assert not re.search(r"[\u4e00-\u9fff]", re.sub(r"<[^>]+>", "", main)), (
            path, re.findall(r"[^<>]*[\u4e00-\u9fff][^<>]*", main)[:5])


def test_the_league_page_and_a_drill_down_compute_the_period_once(app, verification, staff_client, monkeypatch):
    import app.queries.supervision as supervision_queries
    import app.web.desk_league as desk_league

    periods = []
    original = supervision_queries.league_facts

    def counting(session, actor, now, start, end):
        periods.append((start, end))
        return original(session, actor, now, start, end)

    monkeypatch.setattr(supervision_queries, "league_facts", counting)
    monkeypatch.setattr(desk_league, "league_facts", counting)
    desk = staff_client("supervisor_hy")
    _get(desk, f"/desk/league?{MARCH}")
    march = (date(2026, 3, 1), date(2026, 3, 31))
    # the table, its drill-down counts and March's trend point share one computation; the other
    # months of the six-month trend are computed once each
    assert periods.count(march) == 1 and len(periods) == len(set(periods)) == 6, periods
    periods.clear()
    _get(desk, f"/desk/league/cases?org=HY-GOV&metric=completed&{MARCH}")
    assert periods == [march]
