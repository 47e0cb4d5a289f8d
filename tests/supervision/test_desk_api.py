"""The supervisors' desk: live clocks in the caller's region, the league table, drill-down, XLSX, the digest."""
from datetime import timedelta
from io import BytesIO

from openpyxl import load_workbook
from sqlalchemy import select

from app import clock
from app.db import db, unit_of_work
from app.models import Notification
from app.services.digest import send_daily_digest
from tests.drive import complaint_for
from tests.lifecycle_paths import VERIFY_UNSUBSTANTIATED
from tests.supervision.conftest import task_facts

WUHE = {"respondent": {"org_code": "WH-HOUSING", "name": "五河县住房和城乡建设局"}, "contract": {"contract_no": "WH-2"}}
ANOTHER = {"contract": {"contract_no": "HYZJ-2024-002"}}
SUPERVISORS_OF_HUAIYUAN = 2  # the demo city and 怀远 supervisors
MARCH = "from=2026-03-01&to=2026-03-31"


def _clocks(client, auth, who="supervisor_hy", query=""):
    return client.get(f"/api/v1/supervision/clocks{query}", headers=auth(who))


def test_the_board_shows_only_clocks_in_the_supervisors_region(verification, client, auth):
    v = verification
    other, _ = v.driver.file(complaint_for({"complaint": WUHE}))
    db.session.rollback()
    county = {r["case_no"] for r in _clocks(client, auth).get_json()["clocks"]}
    city = {r["case_no"] for r in _clocks(client, auth, "supervisor_city").get_json()["clocks"]}
    assert county == {v.case_no} and city == {v.case_no, other}


def test_overdue_clocks_come_first(verification, client, auth):
    v = verification
    v.move_to(task_facts(v)["due_at"], minutes=60)
    fresh, _ = v.driver.file(complaint_for({"complaint": ANOTHER}))
    db.session.rollback()
    rows = _clocks(client, auth, "supervisor_city").get_json()["clocks"]
    assert rows[0]["case_no"] == v.case_no and rows[0]["overdue"] is True
    assert [r["case_no"] for r in rows[1:]] == [fresh] and rows[1]["overdue"] is False


def test_the_board_filters_by_org_stage_and_channel(verification, client, auth):
    v = verification
    task_id = task_facts(v)["id"]
    by_org = _clocks(client, auth, query="?org=HY-GOV&stage=verification").get_json()["clocks"]
    assert [r["task_id"] for r in by_org] == [task_id] and by_org[0]["workdays_left"] == 10
    assert _clocks(client, auth, query="?org=WH-GOV").get_json()["clocks"] == []
    assert _clocks(client, auth, query="?channel=hotline_12345").get_json()["clocks"] == []


def test_the_desk_is_for_supervisors(verification, client, auth):
    assert _clocks(client, auth, "handler_hygov").status_code == 403
    assert client.get(f"/api/v1/supervision/league?{MARCH}", headers=auth("intake_12345")).status_code == 403


def _finish_late_with_an_extension(v, client, auth):
    facts = task_facts(v)
    asked = client.post(f"/api/v1/tasks/{facts['id']}/extension-requests", headers=auth("handler_hygov"),
                        json={"workdays": 5, "reason": "需调取档案"})
    client.post(f"/api/v1/extension-requests/{asked.get_json()['id']}/decision", headers=auth("supervisor_hy"),
                json={"approve": True})
    v.move_to(facts["due_at"], minutes=24 * 60)  # a day after the original deadline, within the extension
    done = client.post(f"/api/v1/tasks/{facts['id']}/complete", headers=auth("handler_hygov"),
                       json={"data": VERIFY_UNSUBSTANTIATED["data"]})
    assert done.status_code == 200


def test_the_league_separates_original_and_extended_on_time_rates(verification, client, auth):
    v = verification
    _finish_late_with_an_extension(v, client, auth)
    rows = client.get(f"/api/v1/supervision/league?{MARCH}", headers=auth("supervisor_hy")).get_json()["rows"]
    [row] = [r for r in rows if r["org"] == "HY-GOV"]
    # receive_referral on time; verify late by its original deadline, on time by the extended one
    assert row["completed"] == 2 and row["on_time_rate_original"] == 0.5 and row["on_time_rate_extended"] == 1.0
    assert (row["received"], row["extensions"], row["overdue_now"], row["returns"]) == (1, 1, 0, 0)
    assert row["avg_workdays_by_stage"]["verification"] == 11


def test_drill_down_lists_the_cases_behind_a_number(verification, client, auth):
    v = verification
    _finish_late_with_an_extension(v, client, auth)
    url = f"/api/v1/supervision/league/cases?org=HY-GOV&{MARCH}"
    late = client.get(url + "&metric=late_original", headers=auth("supervisor_hy")).get_json()["cases"]
    assert [c["case_no"] for c in late] == [v.case_no]
    assert client.get(url + "&metric=overdue_now", headers=auth("supervisor_hy")).get_json()["cases"] == []
    assert client.get(url + "&metric=nonsense", headers=auth("supervisor_hy")).status_code == 422


def test_the_league_exports_to_xlsx(verification, client, auth):
    resp = client.get(f"/api/v1/supervision/league.xlsx?{MARCH}", headers=auth("supervisor_hy"))
    assert resp.status_code == 200 and resp.mimetype.endswith("spreadsheetml.sheet")
    sheet = load_workbook(BytesIO(resp.data)).active
    orgs = [row[0] for row in sheet.iter_rows(min_row=3, values_only=True)]
    assert sorted(orgs) == ["BB-12345", "HY-GOV"]  # the intake unit's triage and the handler's referral


def test_a_bad_period_is_a_field_error(verification, client, auth):
    resp = client.get("/api/v1/supervision/league?from=2026-03-31&to=2026-03-01", headers=auth("supervisor_hy"))
    assert resp.status_code == 422 and "to" in resp.get_json()["errors"]


def test_the_daily_digest_goes_out_once_per_local_date(verification):
    v = verification
    v.move_to(task_facts(v)["due_at"], minutes=9 * 60)  # 09:00 the next morning
    for expected in (SUPERVISORS_OF_HUAIYUAN, 0):
        with unit_of_work(db.session):
            assert send_daily_digest(v.ctx()) == expected
    digests = db.session.execute(select(Notification).where(Notification.kind == "daily_digest")).scalars().all()
    assert {n.user_id for n in digests} == {v.user_id(name) for name in ("supervisor_city", "supervisor_hy")}
    assert all("超期未办 1 件" in n.body for n in digests)
    v.traveller.move_to(clock.now() + timedelta(days=1))
    with unit_of_work(db.session):
        assert send_daily_digest(v.ctx()) == SUPERVISORS_OF_HUAIYUAN
