"""The org directory: public lookup, admin upkeep that routing picks up at once, checked references."""
from tests.lifecycle_paths import SAMPLE_COMPLAINT

CHANGFEN = {"name": "怀远县常坟镇人民政府", "kind": "township", "level": "township", "region_code": "340321",
            "superior": "HY-GOV"}


def test_the_directory_is_searchable_without_an_account(client, demo):
    body = client.get("/api/v1/orgs?q=怀远县住房").get_json()
    assert [o["code"] for o in body["orgs"]] == ["HY-HOUSING"]
    assert body["orgs"][0]["superior"] == "HY-GOV"


def test_an_org_added_by_an_admin_is_routed_to_at_once(client, auth):
    created = client.put("/api/v1/orgs/HY-TOWN-CHANGFEN", json=CHANGFEN, headers=auth("admin"))
    assert created.status_code in (200, 201), created.get_json()
    complaint = {**SAMPLE_COMPLAINT, "respondent": {"org_code": "HY-TOWN-CHANGFEN"},
                 "contract": {**SAMPLE_COMPLAINT["contract"], "contract_no": "CF-2026-01"}}
    filed = client.post("/api/v1/complaints", json=complaint, headers=auth("intake_12345"))
    assert filed.status_code == 201, filed.get_json()
    [triage] = [t for t in client.get("/api/v1/tasks", headers=auth("intake_12345")).get_json()["tasks"]
                if t["task"] == "triage"]
    client.post(f"/api/v1/tasks/{triage['id']}/complete", json={"data": {"intake_decision": "accept"}},
                headers=auth("intake_12345"))
    tasks = client.get("/api/v1/tasks", headers=auth("handler_hygov")).get_json()["tasks"]
    assert [t["task"] for t in tasks] == ["receive_referral"]  # township → its county government verifies


def test_only_admins_change_the_directory(client, auth):
    assert client.put("/api/v1/orgs/HY-TOWN-X", json=CHANGFEN, headers=auth("handler_hygov")).status_code == 403


def test_a_superior_loop_is_refused(client, auth):
    hy_gov = {"name": "怀远县人民政府", "kind": "government", "level": "county", "region_code": "340321",
              "superior": "HY-TOWN-TANGJI"}  # whose superior is HY-GOV
    resp = client.put("/api/v1/orgs/HY-GOV", json=hy_gov, headers=auth("admin"))
    assert resp.status_code == 422 and "loop" in resp.get_json()["errors"]["superior"][0]
    assert client.get("/api/v1/orgs?q=HY-GOV").get_json()["orgs"][0]["superior"] == "BB-GOV"


def test_bad_fields_are_reported_together(client, auth):
    resp = client.put("/api/v1/orgs/bad code", json={"name": "", "kind": "club", "level": "x", "region_code": "34",
                                                     "superior": "NOPE"}, headers=auth("admin"))
    assert resp.status_code == 422
    assert set(resp.get_json()["errors"]) == {"code", "name", "kind", "level", "region_code", "superior"}
