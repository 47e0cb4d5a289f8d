"""The calendar admin API: status with the December banner, preview of moved deadlines, loading a year."""
import time_machine

from tests.lifecycle_paths import SAMPLE_COMPLAINT

SCHEDULE = {"text": "2027-01-01 holiday 元旦\n2027-02-05..2027-02-11 holiday 春节\n2027-02-13 workday 春节调休\n",
            "source_doc": "国办发明电〔2026〕X号（测试数据）"}


def _verifying_case(client, auth):
    client.post("/api/v1/complaints", json=SAMPLE_COMPLAINT, headers=auth("intake_12345"))
    for user, task, data in (("intake_12345", "triage", {"intake_decision": "accept"}),
                             ("handler_hygov", "receive_referral", {"referral_decision": "accept"})):
        [t] = [t for t in client.get("/api/v1/tasks", headers=auth(user)).get_json()["tasks"] if t["task"] == task]
        assert client.post(f"/api/v1/tasks/{t['id']}/complete", json={"data": data},
                           headers=auth(user)).status_code == 200


def test_from_december_the_status_warns_that_next_year_is_missing(client, auth):
    with time_machine.travel("2026-12-01T09:00:00+08:00", tick=False):
        body = client.get("/api/v1/calendar", headers=auth("supervisor_city")).get_json()
    assert "2027" in body["warning"] and 2027 not in body["covered_years"]
    with time_machine.travel("2026-11-30T09:00:00+08:00", tick=False):
        assert client.get("/api/v1/calendar", headers=auth("admin")).get_json()["warning"] is None


def test_preview_lists_the_moved_deadline_and_changes_nothing_then_loading_applies_it(client, auth):
    with time_machine.travel("2026-12-24T09:00:00+08:00", tick=True):
        _verifying_case(client, auth)
        preview = client.post("/api/v1/calendar/2027/preview", json=SCHEDULE, headers=auth("admin"))
        assert preview.status_code == 200
        assert [(c["task"], c["new_due"]) for c in preview.get_json()["changes"]] == [
            ("verify", "2027-01-08T23:59:59+08:00")]
        [verify] = client.get("/api/v1/tasks", headers=auth("handler_hygov")).get_json()["tasks"]
        assert verify["due_at"] is None  # still provisional: the preview stored nothing
        assert client.get("/api/v1/calendar/2027", headers=auth("admin")).get_json()["overrides"] == []
        loaded = client.put("/api/v1/calendar/2027", json=SCHEDULE, headers=auth("admin"))
        assert loaded.status_code == 200 and len(loaded.get_json()["changes"]) == 1
        [verify] = client.get("/api/v1/tasks", headers=auth("handler_hygov")).get_json()["tasks"]
        assert verify["due_at"] == "2027-01-08T23:59:59+08:00"
        assert 2027 in client.get("/api/v1/calendar", headers=auth("admin")).get_json()["covered_years"]


def test_a_bad_line_is_named_and_handlers_may_not_load(client, auth):
    bad = {"text": "2027-01-01 holiday\n2027-02-30 holiday\n", "source_doc": "X"}
    resp = client.put("/api/v1/calendar/2027", json=bad, headers=auth("admin"))
    assert resp.status_code == 422 and "line 2" in resp.get_json()["errors"]["text"][0]
    assert client.put("/api/v1/calendar/2027", json=SCHEDULE, headers=auth("handler_hygov")).status_code == 403
