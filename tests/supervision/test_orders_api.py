"""催办/督办 by hand with a reply deadline in working days; the addressed org replies once."""
from app import clock
from tests.supervision.conftest import task_facts


def _send(client, auth, task_id, who="supervisor_hy", **body):
    payload = {"kind": "reminder", "reply_workdays": 3, "note": "请尽快核实并回复。", **body}
    return client.post(f"/api/v1/tasks/{task_id}/supervision-orders", headers=auth(who), json=payload)


def _reply(client, auth, order_id, who="handler_hygov"):
    return client.post(f"/api/v1/supervision-orders/{order_id}/reply", headers=auth(who),
                       json={"reply": "已联系投诉人，正在调取付款凭证。"})


def test_a_manual_reminder_sets_a_reply_deadline_in_working_days(verification, client, auth):
    v = verification
    resp = _send(client, auth, task_facts(v)["id"])
    assert resp.status_code == 201
    body = resp.get_json()
    assert body["kind"] == "manual_reminder"
    expected = v.ctx().calendar.add_workdays(clock.now(), 3)
    assert body["reply_due_at"] == clock.local(expected).isoformat()


def test_the_handling_org_is_notified_of_a_manual_supervision_order(verification, client, auth):
    v = verification
    _send(client, auth, task_facts(v)["id"], kind="supervision_order")
    [note] = v.notifications_of("handler_hygov")
    assert note.title.startswith("【督办】") and v.case_no in note.title


def test_a_manual_order_is_in_the_case_timeline(verification, client, auth):
    v = verification
    _send(client, auth, task_facts(v)["id"])
    history = client.get(f"/api/v1/cases/{v.case_no}", headers=auth("supervisor_hy")).get_json()["history"]
    assert "escalation:manual_reminder" in [h["action"] for h in history]


def test_the_reply_is_recorded_once_and_reaches_the_sender(verification, client, auth):
    v = verification
    order_id = _send(client, auth, task_facts(v)["id"]).get_json()["id"]
    first = _reply(client, auth, order_id)
    assert first.status_code == 200 and first.get_json()["replied_at"] is not None
    assert _reply(client, auth, order_id).status_code == 409
    assert [n.kind for n in v.notifications_of("supervisor_hy")] == ["escalation_reply"]


def test_bad_kind_and_reply_days_are_field_errors(verification, client, auth):
    resp = _send(client, auth, task_facts(verification)["id"], kind="shout", reply_workdays=0)
    assert resp.status_code == 422
    assert set(resp.get_json()["errors"]) == {"kind", "reply_workdays"}


def test_handlers_cannot_send_orders(verification, client, auth):
    assert _send(client, auth, task_facts(verification)["id"], who="handler_hygov").status_code == 403


def test_another_orgs_staff_cannot_see_the_task_or_reply(verification, client, auth):
    task_id = task_facts(verification)["id"]
    assert _send(client, auth, task_id, who="handler_whgov").status_code == 404
    order_id = _send(client, auth, task_id).get_json()["id"]
    assert _reply(client, auth, order_id, who="handler_whgov").status_code == 404
