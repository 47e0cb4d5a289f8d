"""The handlers' inbox (app.queries.inbox): scope, order, tabs, filters, search, counts, paging,
working days and the number of SQL statements. Cases are filed and worked through the services."""
from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

import pytest
import time_machine
from sqlalchemy import event, select

from app.clock import SHANGHAI
from app.db import db, unit_of_work
from app.errors import InvalidSubmission
from app.models import ReadyTask, User
from app.queries.inbox import TABS, inbox
from app.services.accounts import actor_for, create_user
from app.services.claims import claim_task
from tests.drive import ServiceDriver, complaint_for
from tests.lifecycle_paths import RECEIVE_ACCEPT, TRIAGE_ACCEPT


def at(text: str) -> datetime:
    """A Beijing-time moment, e.g. at('2026-03-03 10:00')."""
    return datetime.fromisoformat(text).replace(tzinfo=SHANGHAI)


def complaint(channel: str, name: str, contract_no: str, title: str, respondent=("HY-HOUSING", "怀远县住房和城乡建设局")):
    data = complaint_for({})
    data["channel"] = channel
    data["complainant"]["name"] = name
    data["contract"]["contract_no"] = contract_no
    data["contract"]["title"] = title
    data["respondent"] = {"org_code": respondent[0], "name": respondent[1]}
    return data


def actor(username: str):
    return actor_for(db.session.execute(select(User).where(User.username == username)).scalar_one())


def second_hygov_handler() -> User:
    """A second handler in 怀远县人民政府 (users survive between tests, so get or create)."""
    user = db.session.execute(select(User).where(User.username == "handler_hygov_2")).scalar_one_or_none()
    if user is None:
        with unit_of_work(db.session):
            create_user(db.session, at("2026-03-01 09:00"), "handler_hygov_2", "second-handler-pw", "handler",
                        "HY-GOV", display_name="张敏")
        user = db.session.execute(select(User).where(User.username == "handler_hygov_2")).scalar_one()
    return user


@dataclass
class World:
    driver: ServiceDriver
    case_nos: dict[str, str]

    def task_id(self, label: str) -> str:
        case = self.driver.case(self.case_nos[label])
        return db.session.execute(select(ReadyTask.id).where(ReadyTask.case_id == case.id)).scalar_one()

    def claim(self, label: str, username: str) -> None:
        with unit_of_work(db.session):
            claim_task(db.session, at("2026-03-02 18:00"), actor(username), self.task_id(label))


def labels(world: World, page) -> list[str]:
    by_no = {no: label for label, no in world.case_nos.items()}
    return [by_no[r.case_no] for r in page.rows]


@pytest.fixture
def world(app, demo):
    """Four complaints filed on Monday 2 March 2026 from 09:00 (each step moves the clock 2 h):
    A  怀远县住建局, credit-site column, 禾丰, HYZJ-2023-017  -> receive_referral at 怀远县人民政府 (09:00)
    B  唐集镇人民政府, 12345 hotline, 淮河建材, TJ-2024-003  -> verify at 怀远县人民政府 (13:00, due 16 March)
    C  蚌埠市财政局, SME payment platform, 云帆软件          -> receive_referral at 蚌埠市人民政府
    D  怀远县住建局, offline window, 禾丰, HYZJ-2024-101    -> receive_referral at 怀远县人民政府 (17:00)
    A and D are both due at the end of 4 March (2 working days)."""
    with app.app_context(), time_machine.travel(at("2026-03-02 09:00"), tick=True) as traveller:
        driver = ServiceDriver(traveller)
        cases = {}
        cases["A"], _ = driver.file(complaint("credit_site_column", "怀远县禾丰农业科技有限公司", "HYZJ-2023-017",
                                              "怀远县老旧小区改造工程（二期）施工合同"))
        driver.complete(cases["A"], "triage", TRIAGE_ACCEPT["data"])
        cases["B"], _ = driver.file(complaint("hotline_12345", "蚌埠淮河建材有限公司", "TJ-2024-003",
                                              "唐集镇道路硬化工程材料采购合同", ("HY-TOWN-TANGJI", "怀远县唐集镇人民政府")))
        driver.complete(cases["B"], "triage", TRIAGE_ACCEPT["data"])
        driver.complete(cases["B"], "receive_referral", RECEIVE_ACCEPT["data"])
        cases["C"], _ = driver.file(complaint("sme_payment_platform", "蚌埠云帆软件有限公司", "BBCZ-2024-009",
                                              "政务云平台运维服务采购合同", ("BB-FIN", "蚌埠市财政局")))
        driver.complete(cases["C"], "triage", TRIAGE_ACCEPT["data"])
        cases["D"], _ = driver.file(complaint("offline", "怀远县禾丰农业科技有限公司", "HYZJ-2024-101",
                                              "怀远县城区供水管网改造工程施工合同"))
        driver.complete(cases["D"], "triage", TRIAGE_ACCEPT["data"])
        db.session.rollback()
        yield World(driver, cases)
        db.session.remove()


TUESDAY = at("2026-03-03 10:00")   # A and D: 1 working day left (due soon); B: 9
THURSDAY = at("2026-03-05 10:00")  # A and D overdue since the end of Wednesday


def test_least_time_left_first_then_oldest(world):
    page = inbox(db.session, actor("handler_hygov"), TUESDAY)
    assert labels(world, page) == ["A", "D", "B"]  # A and D share a due time: A was created first
    assert [r.task_spec for r in page.rows] == ["receive_referral", "receive_referral", "verify"]
    assert page.next_after is None


def test_row_carries_case_parties_contract_and_local_due_time(world):
    row = inbox(db.session, actor("handler_hygov"), TUESDAY).rows[0]
    assert (row.case_no, row.task_name, row.stage) == (world.case_nos["A"], "签收转办", "referral")
    assert row.complainant_name == "怀远县禾丰农业科技有限公司"
    assert (row.contract_title, row.contract_no) == ("怀远县老旧小区改造工程（二期）施工合同", "HYZJ-2023-017")
    assert (row.channel, row.region_code, row.respondent_name) == ("credit_site_column", "340321", "怀远县住房和城乡建设局")
    assert row.due_local.isoformat() == "2026-03-04T23:59:59+08:00"
    assert row.due_at.utcoffset().total_seconds() == 0
    assert (row.claimed_by, row.claimed_by_me, row.escalation_level) == (None, False, 0)
    assert row.created_local.date().isoformat() == "2026-03-02"


def test_working_days_left_and_urgency(world):
    rows = {r.case_no: r for r in inbox(db.session, actor("handler_hygov"), TUESDAY).rows}
    a, b = rows[world.case_nos["A"]], rows[world.case_nos["B"]]
    assert (a.days_left, a.urgency) == (1, "due_soon")
    assert (b.days_left, b.urgency) == (9, "ok")
    later = {r.case_no: r for r in inbox(db.session, actor("handler_hygov"), THURSDAY).rows}
    assert (later[world.case_nos["A"]].days_left, later[world.case_nos["A"]].urgency) == (-1, "overdue")
    assert (later[world.case_nos["B"]].days_left, later[world.case_nos["B"]].urgency) == (7, "ok")


def test_mine_and_unclaimed_tabs_follow_claims(world):
    second_hygov_handler()
    world.claim("A", "handler_hygov")
    world.claim("D", "handler_hygov_2")
    me = actor("handler_hygov")
    assert labels(world, inbox(db.session, me, TUESDAY, tab="mine")) == ["A"]
    assert labels(world, inbox(db.session, me, TUESDAY, tab="unclaimed")) == ["B"]
    rows = {r.case_no: r for r in inbox(db.session, me, TUESDAY).rows}
    assert (rows[world.case_nos["A"]].claimed_by_me, rows[world.case_nos["D"]].claimed_by_me) == (True, False)
    assert rows[world.case_nos["D"]].claimed_by == "张敏"
    assert labels(world, inbox(db.session, actor("handler_hygov_2"), TUESDAY, tab="mine")) == ["D"]


def test_due_soon_and_overdue_tabs_move_with_time(world):
    me = actor("handler_hygov")
    assert labels(world, inbox(db.session, me, TUESDAY, tab="due_soon")) == ["A", "D"]
    assert labels(world, inbox(db.session, me, TUESDAY, tab="overdue")) == []
    assert labels(world, inbox(db.session, me, THURSDAY, tab="due_soon")) == []
    assert labels(world, inbox(db.session, me, THURSDAY, tab="overdue")) == ["A", "D"]
    # B is due at the end of Monday 16 March: due soon from Thursday 12 March (13th and 16th left),
    # not on Wednesday 11th (12th, 13th and 16th left)
    assert labels(world, inbox(db.session, me, at("2026-03-11 09:00"), tab="due_soon")) == []
    assert labels(world, inbox(db.session, me, at("2026-03-12 09:00"), tab="due_soon")) == ["B"]


def test_counts_cover_every_tab_with_the_same_filters_whatever_the_tab(world):
    second_hygov_handler()
    world.claim("A", "handler_hygov")
    world.claim("D", "handler_hygov_2")
    me = actor("handler_hygov")
    expected = {"all": 3, "mine": 1, "unclaimed": 1, "due_soon": 2, "overdue": 0}
    for tab in TABS:
        assert inbox(db.session, me, TUESDAY, tab=tab).counts == expected
    assert inbox(db.session, me, THURSDAY, tab="overdue").counts == {
        "all": 3, "mine": 1, "unclaimed": 1, "due_soon": 0, "overdue": 2}
    assert inbox(db.session, me, TUESDAY, channel="offline").counts == {
        "all": 1, "mine": 0, "unclaimed": 0, "due_soon": 1, "overdue": 0}
    assert inbox(db.session, me, TUESDAY, stage="verification", tab="due_soon").counts == {
        "all": 1, "mine": 0, "unclaimed": 1, "due_soon": 0, "overdue": 0}


def test_filters_by_stage_channel_and_region(world):
    me = actor("handler_hygov")
    assert labels(world, inbox(db.session, me, TUESDAY, stage="verification")) == ["B"]
    assert labels(world, inbox(db.session, me, TUESDAY, stage="referral")) == ["A", "D"]
    assert labels(world, inbox(db.session, me, TUESDAY, channel="hotline_12345")) == ["B"]
    assert labels(world, inbox(db.session, me, TUESDAY, channel="offline")) == ["D"]
    assert labels(world, inbox(db.session, me, TUESDAY, region="340321")) == ["A", "D", "B"]
    assert labels(world, inbox(db.session, me, TUESDAY, region="340300")) == []
    assert labels(world, inbox(db.session, me, THURSDAY, stage="referral", tab="overdue")) == ["A", "D"]
    assert labels(world, inbox(db.session, actor("handler_bbgov"), TUESDAY, region="340300")) == ["C"]


def test_search_by_case_number_exact_or_prefix(world):
    me = actor("handler_hygov")
    assert labels(world, inbox(db.session, me, TUESDAY, q=world.case_nos["D"])) == ["D"]
    assert labels(world, inbox(db.session, me, TUESDAY, q=world.case_nos["B"].lower())) == ["B"]
    prefix = world.case_nos["A"][:-1]  # BB-2026-00000 matches all four; three are in this inbox
    assert labels(world, inbox(db.session, me, TUESDAY, q=prefix)) == ["A", "D", "B"]
    assert labels(world, inbox(db.session, me, TUESDAY, q=world.case_nos["C"])) == []  # another org's case


def test_search_by_enterprise_and_contract(world):
    me = actor("handler_hygov")
    assert labels(world, inbox(db.session, me, TUESDAY, q="淮河建材")) == ["B"]
    assert labels(world, inbox(db.session, me, TUESDAY, q="禾丰")) == ["A", "D"]
    assert labels(world, inbox(db.session, me, TUESDAY, q="hyzj-2024")) == ["D"]
    assert labels(world, inbox(db.session, me, TUESDAY, q="供水管网")) == ["D"]
    assert labels(world, inbox(db.session, me, TUESDAY, enterprise="禾丰")) == ["A", "D"]
    assert labels(world, inbox(db.session, me, TUESDAY, enterprise="供水管网")) == []
    assert labels(world, inbox(db.session, me, TUESDAY, contract="TJ-2024")) == ["B"]
    assert labels(world, inbox(db.session, me, TUESDAY, contract="老旧小区")) == ["A"]
    assert labels(world, inbox(db.session, me, TUESDAY, q="%")) == []  # wildcards are literal
    assert inbox(db.session, me, TUESDAY, q="禾丰").counts["all"] == 2


def test_another_orgs_handler_sees_none_of_it(world):
    assert labels(world, inbox(db.session, actor("handler_bbgov"), TUESDAY)) == ["C"]
    page = inbox(db.session, actor("handler_whgov"), TUESDAY, q="禾丰")
    assert page.rows == [] and page.counts == {tab: 0 for tab in TABS}
    assert inbox(db.session, actor("handler_whgov"), TUESDAY).rows == []
    # the accepting unit's triage tasks are done; its officers have nothing left either
    assert inbox(db.session, actor("intake_12345"), TUESDAY).counts["all"] == 0
    assert inbox(db.session, actor("supervisor_hy"), TUESDAY).rows == []


def test_paging_with_the_cursor_visits_every_row_once_in_order(world):
    me = actor("handler_hygov")
    first = inbox(db.session, me, TUESDAY, limit=2)
    assert labels(world, first) == ["A", "D"] and first.next_after
    second = inbox(db.session, me, TUESDAY, limit=2, after=first.next_after)
    assert labels(world, second) == ["B"] and second.next_after is None
    seen, after = [], None
    while True:
        page = inbox(db.session, me, TUESDAY, limit=1, after=after)
        seen += labels(world, page)
        if page.next_after is None:
            break
        after = page.next_after
    assert seen == ["A", "D", "B"]
    assert first.counts == second.counts == {"all": 3, "mine": 0, "unclaimed": 3, "due_soon": 2, "overdue": 0}


def test_paging_a_searched_inbox(world):
    me = actor("handler_hygov")
    first = inbox(db.session, me, TUESDAY, q="禾丰", limit=1)
    second = inbox(db.session, me, TUESDAY, q="禾丰", limit=1, after=first.next_after)
    assert (labels(world, first), labels(world, second)) == (["A"], ["D"])
    assert second.next_after is None and second.counts["all"] == 2


def test_bad_tab_or_cursor_is_an_invalid_submission(world):
    me = actor("handler_hygov")
    with pytest.raises(InvalidSubmission):
        inbox(db.session, me, TUESDAY, tab="everything")
    with pytest.raises(InvalidSubmission):
        inbox(db.session, me, TUESDAY, after="not-a-cursor")


# -- working days over a holiday and past the calendar's end -------------------------------------

def test_working_days_skip_the_national_day_holiday_and_count_the_makeup_saturday(app, demo):
    """Filed Tuesday 29 September 2026: 1-7 October are holidays, Saturday 10 October is a workday."""
    with app.app_context(), time_machine.travel(at("2026-09-29 09:00"), tick=True) as traveller:
        driver = ServiceDriver(traveller)
        a, _ = driver.file(complaint("credit_site_column", "怀远县禾丰农业科技有限公司", "HYZJ-2023-017", "施工合同"))
        driver.complete(a, "triage", TRIAGE_ACCEPT["data"])  # receive_referral: 2 workdays -> end of 8 Oct
        b, _ = driver.file(complaint("offline", "蚌埠淮河建材有限公司", "TJ-2024-003", "采购合同"))
        driver.complete(b, "triage", TRIAGE_ACCEPT["data"])
        driver.complete(b, "receive_referral", RECEIVE_ACCEPT["data"])  # verify: 10 workdays -> end of 19 Oct
        db.session.rollback()
        me = actor("handler_hygov")
        rows = {r.case_no: r for r in inbox(db.session, me, at("2026-09-30 10:00")).rows}
        assert rows[a].due_local.date().isoformat() == "2026-10-08"
        assert (rows[a].days_left, rows[a].urgency) == (1, "due_soon")  # 8 calendar days, 1 working day
        assert rows[b].due_local.date().isoformat() == "2026-10-19"
        assert (rows[b].days_left, rows[b].urgency) == (9, "ok")  # 8, 9, 10 (Sat), 12-16, 19 October
        assert inbox(db.session, me, at("2026-09-30 10:00")).counts["due_soon"] == 1
        rows = {r.case_no: r for r in inbox(db.session, me, at("2026-10-09 10:00")).rows}
        assert (rows[a].days_left, rows[a].urgency) == (-1, "overdue")
        assert (rows[b].days_left, rows[b].urgency) == (7, "ok")  # 10 (Sat), 12-16, 19 October
        rows = {r.case_no: r for r in inbox(db.session, me, at("2026-10-14 10:00")).rows}
        assert (rows[b].days_left, rows[b].urgency) == (3, "ok")
        rows = {r.case_no: r for r in inbox(db.session, me, at("2026-10-15 10:00")).rows}
        assert (rows[b].days_left, rows[b].urgency) == (2, "due_soon")
        db.session.remove()


def test_calendar_not_covered_marks_rows_and_never_breaks_the_page(app, demo):
    """Filed 28 December 2026: verify's 10 working days reach into 2027, which no calendar covers,
    so it has no due date (listed last); the inbox of January 2027 cannot count working days."""
    with app.app_context(), time_machine.travel(at("2026-12-28 09:00"), tick=True) as traveller:
        driver = ServiceDriver(traveller)
        a, _ = driver.file(complaint("credit_site_column", "怀远县禾丰农业科技有限公司", "HYZJ-2023-017", "施工合同"))
        driver.complete(a, "triage", TRIAGE_ACCEPT["data"])
        b, _ = driver.file(complaint("offline", "蚌埠淮河建材有限公司", "TJ-2024-003", "采购合同"))
        driver.complete(b, "triage", TRIAGE_ACCEPT["data"])
        driver.complete(b, "receive_referral", RECEIVE_ACCEPT["data"])
        db.session.rollback()
        me = actor("handler_hygov")
        page = inbox(db.session, me, at("2026-12-29 10:00"))
        assert [r.case_no for r in page.rows] == [a, b]  # no due date: last
        assert (page.rows[0].days_left, page.rows[0].urgency, page.rows[0].calendar_not_covered) == (1, "due_soon", False)
        assert (page.rows[1].due_at, page.rows[1].days_left, page.rows[1].urgency) == (None, None, "ok")
        assert page.calendar_not_covered is True  # "due soon" cannot look past 31 December
        page = inbox(db.session, me, at("2027-01-04 10:00"))
        assert page.calendar_not_covered is True
        row = page.rows[0]
        assert (row.case_no, row.urgency, row.days_left, row.calendar_not_covered) == (a, "overdue", None, True)
        assert page.counts == {"all": 2, "mine": 0, "unclaimed": 2, "due_soon": 0, "overdue": 1}
        # the cursor steps from a dated row to the undated one
        first = inbox(db.session, me, at("2027-01-04 10:00"), limit=1)
        second = inbox(db.session, me, at("2027-01-04 10:00"), limit=1, after=first.next_after)
        assert [r.case_no for r in second.rows] == [b] and second.next_after is None
        first = inbox(db.session, me, at("2027-01-04 10:00"), region="340321", limit=1)  # the same, filtered
        second = inbox(db.session, me, at("2027-01-04 10:00"), region="340321", limit=1, after=first.next_after)
        assert [r.case_no for r in first.rows + second.rows] == [a, b] and second.next_after is None
        db.session.remove()


# -- statements per call ----------------------------------------------------------------------------

def test_statements_per_call_do_not_grow_with_rows(app, demo):
    with app.app_context(), time_machine.travel(at("2026-03-02 09:00"), tick=True) as traveller:
        driver = ServiceDriver(traveller)
        officer = actor("intake_12345")  # each filed complaint is a triage task in this unit's inbox

        def file(n: int, offset: int) -> None:
            for i in range(n):
                driver.file(complaint("hotline_12345", f"蚌埠测试企业{offset + i}有限公司", f"T-{offset + i:04d}",
                                      "采购合同"))

        def statements_for_one_call(**filters) -> tuple[int, int]:
            db.session.rollback()
            inbox(db.session, officer, at("2026-03-03 10:00"), **filters)  # warm the reference cache
            seen = []

            def count(conn, cursor, statement, params, context, executemany):
                seen.append(statement)

            event.listen(db.engine, "before_cursor_execute", count)
            try:
                page = inbox(db.session, officer, at("2026-03-03 10:00"), **filters)
            finally:
                event.remove(db.engine, "before_cursor_execute", count)
            return len(page.rows), len(seen)

        searched = {"q": "测试企业", "channel": "hotline_12345"}
        file(3, 0)
        rows3, statements3 = statements_for_one_call()
        found3, searched3 = statements_for_one_call(**searched)
        file(27, 3)
        rows30, statements30 = statements_for_one_call()
        found30, searched30 = statements_for_one_call(**searched)
        assert (rows3, rows30, found3, found30) == (3, 30, 3, 30)
        assert statements3 == statements30 <= 3  # reference-data check, rows, counts
        assert searched3 == searched30 <= 2  # reference-data check, rows with their counts
        db.session.remove()


def test_process_owners_see_the_laneless_tasks_of_processes_without_a_case(app, demo):
    from pathlib import Path

    from app import clock
    from app.services import definitions, workflow
    from app.services.deployment import deploy_dirs
    from app.services.engine_context import EngineContext
    from app.policy import Actor

    approval3 = Path(__file__).resolve().parents[1] / "fixtures" / "approval3"
    with app.app_context():
        with unit_of_work(db.session):
            deploy_dirs(db.session, Actor.system("tests"), clock.now(), approval3, approval3)
        with unit_of_work(db.session):
            ctx = EngineContext.load(db.session, clock.now())
            workflow.start(ctx, definitions.latest(db.session, "Process_approval3"), {}, actor("owner"))
        page = inbox(db.session, actor("owner"), clock.now())
        assert len(page.rows) == 1 and page.counts["all"] == 1
        row = page.rows[0]
        assert (row.case_no, row.complainant_name, row.respondent_name) == (None, None, None)
        assert inbox(db.session, actor("owner"), clock.now(), q="张三").rows == []  # no case to search
        assert inbox(db.session, actor("handler_hygov"), clock.now()).counts["all"] == 0
        db.session.remove()
