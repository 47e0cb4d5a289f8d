"""Task endpoints: scoping, stale completions, validation, concurrency."""
import threading
from pathlib import Path

from sqlalchemy import func, select

from app.db import db
from app.models import AuditEvent, TaskLog
from tests.lifecycle_paths import SAMPLE_COMPLAINT

ACCEPT = {"intake_decision": "accept"}
APPROVAL3 = Path(__file__).resolve().parents[1] / "fixtures" / "approval3"


def _file(client, auth):
    resp = client.post("/api/v1/complaints", json=SAMPLE_COMPLAINT, headers=auth("intake_12345"))
    assert resp.status_code == 201, resp.get_json()
    return resp.get_json()


def _triage_task(client, auth):
    tasks = client.get("/api/v1/tasks", headers=auth("intake_12345")).get_json()["tasks"]
    [task] = [t for t in tasks if t["task"] == "triage"]
    return task


def test_inbox_lists_only_the_callers_org_tasks(client, auth):
    _file(client, auth)
    assert [t["task"] for t in client.get("/api/v1/tasks", headers=auth("intake_12345")).get_json()["tasks"]] == ["triage"]
    assert client.get("/api/v1/tasks", headers=auth("intake_city")).get_json()["tasks"] == []
    assert client.get("/api/v1/tasks", headers=auth("handler_hygov")).get_json()["tasks"] == []


def test_task_detail_carries_its_form_schema(client, auth):
    _file(client, auth)
    task = _triage_task(client, auth)
    body = client.get(f"/api/v1/tasks/{task['id']}", headers=auth("intake_12345")).get_json()
    assert "intake_decision" in body["schema"]["properties"]
    assert body["due_at"] is not None


def test_another_orgs_task_is_404(client, auth):
    _file(client, auth)
    task = _triage_task(client, auth)
    assert client.get(f"/api/v1/tasks/{task['id']}", headers=auth("handler_whgov")).status_code == 404
    resp = client.post(f"/api/v1/tasks/{task['id']}/complete", json={"data": ACCEPT}, headers=auth("handler_whgov"))
    assert resp.status_code == 404


def test_another_orgs_case_is_404(client, auth):
    case_no = _file(client, auth)["case_no"]
    assert client.get(f"/api/v1/cases/{case_no}", headers=auth("intake_12345")).status_code == 200
    assert client.get(f"/api/v1/cases/{case_no}", headers=auth("handler_whgov")).status_code == 404
    assert client.get(f"/api/v1/cases/{case_no}", headers=auth("supervisor_city")).status_code == 200


def test_completion_moves_the_case_to_its_next_task(client, auth):
    _file(client, auth)
    task = _triage_task(client, auth)
    resp = client.post(f"/api/v1/tasks/{task['id']}/complete", json={"data": ACCEPT}, headers=auth("intake_12345"))
    assert resp.status_code == 200
    assert [t["task"] for t in resp.get_json()["next_tasks"]] == ["receive_referral"]


def test_stale_completion_is_409_and_changes_nothing(app, client, auth):
    _file(client, auth)
    task = _triage_task(client, auth)
    url = f"/api/v1/tasks/{task['id']}/complete"
    assert client.post(url, json={"data": ACCEPT}, headers=auth("intake_12345")).status_code == 200
    with app.app_context():
        before = (db.session.execute(select(func.count(AuditEvent.id))).scalar_one(),
                  db.session.execute(select(func.count(TaskLog.id))).scalar_one())
        db.session.remove()
    again = client.post(url, json={"data": ACCEPT}, headers=auth("intake_12345"))
    assert again.status_code == 409
    assert "completed" in again.get_json()["message"]
    with app.app_context():
        after = (db.session.execute(select(func.count(AuditEvent.id))).scalar_one(),
                 db.session.execute(select(func.count(TaskLog.id))).scalar_one())
        db.session.remove()
    assert after == before


def test_invalid_task_data_is_422_with_field_errors_and_task_stays_ready(client, auth):
    _file(client, auth)
    task = _triage_task(client, auth)
    resp = client.post(f"/api/v1/tasks/{task['id']}/complete", json={"data": {"intake_decision": "maybe"}},
                       headers=auth("intake_12345"))
    assert resp.status_code == 422
    assert "intake_decision" in resp.get_json()["errors"]
    assert _triage_task(client, auth)["id"] == task["id"]


def test_missing_data_object_is_422(client, auth):
    _file(client, auth)
    task = _triage_task(client, auth)
    resp = client.post(f"/api/v1/tasks/{task['id']}/complete", json={"data": "accept"}, headers=auth("intake_12345"))
    assert resp.status_code == 422


def test_public_view_with_wrong_code_is_404(client, auth):
    body = _file(client, auth)
    assert client.get(f"/api/v1/public/cases/{body['case_no']}?query_code=WRONGCODE1").status_code == 404
    assert client.get(f"/api/v1/public/cases/{body['case_no']}").status_code == 404
    ok = client.get(f"/api/v1/public/cases/{body['case_no']}?query_code={body['query_code']}")
    assert ok.status_code == 200 and ok.get_json()["stage"] == "intake"


def test_complainant_cannot_complete_staff_tasks(client, auth):
    body = _file(client, auth)
    task = _triage_task(client, auth)
    resp = client.post(f"/api/v1/public/cases/{body['case_no']}/tasks/{task['id']}/complete"
                       f"?query_code={body['query_code']}", json={"data": ACCEPT})
    assert resp.status_code == 404


def test_process_owner_starts_and_works_a_laneless_process(client, auth, app):
    from app import clock
    from app.db import unit_of_work
    from app.policy import Actor
    from app.services.deployment import deploy_dirs

    with app.app_context():
        with unit_of_work(db.session):
            deploy_dirs(db.session, Actor.system("test"), clock.now(), APPROVAL3, APPROVAL3)
        db.session.remove()
    resp = client.post("/api/v1/process-instances", json={"process_key": "Process_approval3", "data": {}},
                       headers=auth("owner"))
    assert resp.status_code == 201, resp.get_json()
    steps = [{"requester": "张三"}, {"amount": 120}, {"approved": True}]
    for data in steps:
        [task] = resp.get_json()["next_tasks"]
        resp = client.post(f"/api/v1/tasks/{task['id']}/complete", json={"data": data}, headers=auth("owner"))
        assert resp.status_code == 200, resp.get_json()
    assert resp.get_json()["status"] == "completed"
    assert client.post("/api/v1/process-instances", json={"process_key": "Process_approval3"},
                       headers=auth("handler_hygov")).status_code == 403


def test_two_concurrent_completions_exactly_one_wins(app, client, auth):
    _file(client, auth)
    task = _triage_task(client, auth)
    url = f"/api/v1/tasks/{task['id']}/complete"
    headers = auth("intake_12345")
    barrier = threading.Barrier(2)
    codes = []

    def worker():
        c = app.test_client()
        barrier.wait()
        codes.append(c.post(url, json={"data": ACCEPT}, headers=headers).status_code)

    threads = [threading.Thread(target=worker) for _ in range(2)]
    [t.start() for t in threads]
    [t.join() for t in threads]
    assert sorted(codes) == [200, 409]
    with app.app_context():
        assert db.session.execute(select(func.count(TaskLog.id))).scalar_one() == 1
        db.session.remove()


def test_wrong_query_codes_are_rate_limited_per_address(client, auth):
    from datetime import timedelta

    import time_machine

    from app.services.rate_limits import LIMIT, WINDOW

    body = _file(client, auth)
    url = f"/api/v1/public/cases/{body['case_no']}"
    attacker = {"REMOTE_ADDR": "203.0.113.7"}
    with time_machine.travel("2026-11-25T10:00:00+08:00", tick=False) as traveller:
        for i in range(LIMIT):
            assert client.get(f"{url}?query_code=GUESS{i:05d}", environ_base=attacker).status_code == 404
        blocked = client.get(f"{url}?query_code={body['query_code']}", environ_base=attacker)
        assert blocked.status_code == 429
        assert client.get(f"{url}?query_code={body['query_code']}",
                          environ_base={"REMOTE_ADDR": "198.51.100.2"}).status_code == 200
        traveller.shift(WINDOW + timedelta(seconds=1))
        assert client.get(f"{url}?query_code={body['query_code']}", environ_base=attacker).status_code == 200


def test_unknown_case_and_wrong_code_answer_alike(client, auth):
    body = _file(client, auth)
    wrong_code = client.get(f"/api/v1/public/cases/{body['case_no']}?query_code=XXXXXXXXXX")
    no_case = client.get(f"/api/v1/public/cases/BB-1999-000001?query_code={body['query_code']}")
    assert wrong_code.status_code == no_case.status_code == 404
    assert wrong_code.get_json() == no_case.get_json()


def test_case_list_shows_each_caller_only_their_cases(client, auth):
    first = _file(client, auth)["case_no"]
    other = {**SAMPLE_COMPLAINT, "respondent": {**SAMPLE_COMPLAINT["respondent"], "org_code": "WH-HOUSING"},
             "contract": {**SAMPLE_COMPLAINT["contract"], "contract_no": "WH-HT-1"}}
    second = client.post("/api/v1/complaints", json=other, headers=auth("intake_city")).get_json()["case_no"]

    def nos(user, qs=""):
        return [c["case_no"] for c in client.get(f"/api/v1/cases{qs}", headers=auth(user)).get_json()["cases"]]

    assert nos("intake_12345") == [first]
    assert nos("intake_city") == [second]
    assert nos("supervisor_city") == [second, first]   # the city sees every region, newest first
    assert nos("supervisor_hy") == [first]             # the county sees its own
    assert nos("handler_whgov") == []                  # not referred yet
    assert nos("supervisor_city", f"?q={first[-6:]}") == [first]


def test_case_list_pages_by_id(client, auth):
    for n in range(3):
        body = {**SAMPLE_COMPLAINT, "contract": {**SAMPLE_COMPLAINT["contract"], "contract_no": f"PAGE-{n}"}}
        client.post("/api/v1/complaints", json=body, headers=auth("intake_12345"))
    page1 = client.get("/api/v1/cases?limit=2", headers=auth("intake_12345")).get_json()
    page2 = client.get(f"/api/v1/cases?limit=2&before_id={page1['next_before_id']}",
                       headers=auth("intake_12345")).get_json()
    assert len(page1["cases"]) == 2 and len(page2["cases"]) == 1 and page2["next_before_id"] is None
    assert client.get("/api/v1/cases?limit=0", headers=auth("intake_12345")).status_code == 422
