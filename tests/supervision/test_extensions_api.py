"""延期: handlers ask, a supervisor of the region decides; once per task, at most 10 working days."""
from app import clock
from app.db import db, unit_of_work
from tests.supervision.conftest import task_facts


def _ask(client, auth, task_id, workdays=5, who="handler_hygov"):
    return client.post(f"/api/v1/tasks/{task_id}/extension-requests", headers=auth(who),
                       json={"workdays": workdays, "reason": "需调取2023年付款凭证，财政局档案调阅需时。"})


def _decide(client, auth, request_id, approve=True, who="supervisor_hy"):
    return client.post(f"/api/v1/extension-requests/{request_id}/decision", headers=auth(who),
                       json={"approve": approve, "note": "同意" if approve else "理由不充分"})


def test_an_approved_extension_moves_the_due_date_by_working_days_and_keeps_the_original(verification, client, auth):
    v = verification
    facts = task_facts(v)
    asked = _ask(client, auth, facts["id"])
    assert asked.status_code == 201 and asked.get_json()["status"] == "pending"
    decided = _decide(client, auth, asked.get_json()["id"])
    assert decided.status_code == 200 and decided.get_json()["status"] == "approved"
    task = v.task()
    assert clock.as_utc(task.due_at) == v.ctx().calendar.add_workdays(facts["due_at"], 5)
    assert clock.as_utc(task.original_due_at) == facts["due_at"]
    assert task.extended_workdays == 5 and task.due_basis["extension"]["workdays"] == 5


def test_the_handlers_are_told_of_the_decision(verification, client, auth):
    v = verification
    facts = task_facts(v)
    _decide(client, auth, _ask(client, auth, facts["id"]).get_json()["id"], approve=False)
    titles = [n.title for n in v.notifications_of("handler_hygov")]
    assert any(t.startswith("【延期未批准】") for t in titles)
    assert clock.as_utc(v.task().due_at) == facts["due_at"]


def test_the_supervisors_are_told_of_a_request(verification, client, auth):
    v = verification
    _ask(client, auth, task_facts(v)["id"])
    assert [n.kind for n in v.notifications_of("supervisor_hy")] == ["extension_requested"]


def test_more_than_ten_working_days_is_a_field_error(verification, client, auth):
    resp = _ask(client, auth, task_facts(verification)["id"], workdays=11)
    assert resp.status_code == 422 and "workdays" in resp.get_json()["errors"]


def test_only_one_extension_is_granted_per_task(verification, client, auth):
    task_id = task_facts(verification)["id"]
    _decide(client, auth, _ask(client, auth, task_id).get_json()["id"])
    again = _ask(client, auth, task_id, workdays=2)
    assert again.status_code == 409 and "once" in again.get_json()["message"]


def test_a_request_is_decided_only_once(verification, client, auth):
    request_id = _ask(client, auth, task_facts(verification)["id"]).get_json()["id"]
    assert _decide(client, auth, request_id).status_code == 200
    assert _decide(client, auth, request_id, approve=False).status_code == 409


def test_a_deadline_set_by_the_case_is_not_extended_here(verification, client, auth):
    v = verification
    with unit_of_work(db.session):
        v.task().due_rule = "until rectify_deadline"
    resp = _ask(client, auth, task_facts(v)["id"])
    assert resp.status_code == 409 and "extension step" in resp.get_json()["message"]


def test_another_orgs_staff_get_404(verification, client, auth):
    task_id = task_facts(verification)["id"]
    assert _ask(client, auth, task_id, who="handler_whgov").status_code == 404
    request_id = _ask(client, auth, task_id).get_json()["id"]
    assert _decide(client, auth, request_id, who="handler_whgov").status_code == 404


def test_the_handler_cannot_approve_their_own_request(verification, client, auth):
    request_id = _ask(client, auth, task_facts(verification)["id"]).get_json()["id"]
    assert _decide(client, auth, request_id, who="handler_hygov").status_code == 403
