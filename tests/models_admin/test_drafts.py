"""A process owner keeps a working copy (draft) of a process, sees its problems, and deploys it."""
from app.db import db

from .conftest import APPROVAL_KEY, approval_files, definition_count, multipart


def _texts(files: dict[str, bytes]) -> dict[str, str]:
    return {name: data.decode("utf-8") for name, data in files.items()}


def _deploy_base(client, auth):
    resp = client.post("/api/v1/models/deploy", data=multipart(approval_files(), change_note="base"),
                       headers=auth("owner"), content_type="multipart/form-data")
    assert resp.status_code in (200, 201), resp.get_json()


def test_without_a_draft_the_latest_deployed_files_are_the_starting_point(client, auth):
    _deploy_base(client, auth)
    body = client.get(f"/api/v1/models/{APPROVAL_KEY}/draft", headers=auth("owner")).get_json()
    assert body["is_draft"] is False and "approval3.bpmn" in body["files"]
    assert client.get("/api/v1/models/no_such_process/draft", headers=auth("owner")).status_code == 404


def test_a_half_done_draft_is_kept_with_its_problems(client, auth):
    files = _texts(approval_files())
    files["approval3.bpmn"] = files["approval3.bpmn"].replace('value="form_amount.json"', 'value="form_missing.json"')
    resp = client.put(f"/api/v1/models/{APPROVAL_KEY}/draft", json={"files": files, "note": "wip"},
                      headers=auth("owner"))
    assert resp.status_code == 200
    assert any(p["element_id"] == "ut_amount" for p in resp.get_json()["problems"])
    again = client.get(f"/api/v1/models/{APPROVAL_KEY}/draft", headers=auth("owner")).get_json()
    assert again["is_draft"] is True and again["files"]["approval3.bpmn"] == files["approval3.bpmn"]


def test_only_process_owners_save_drafts(client, auth):
    resp = client.put(f"/api/v1/models/{APPROVAL_KEY}/draft", json={"files": _texts(approval_files())},
                      headers=auth("handler_hygov"))
    assert resp.status_code == 403


def test_a_draft_with_problems_does_not_deploy_and_stays(app, client, auth):
    _deploy_base(client, auth)
    files = _texts(approval_files())
    files["approval3.bpmn"] = files["approval3.bpmn"].replace("threshold = 50", "threshold = ().__class__")
    client.put(f"/api/v1/models/{APPROVAL_KEY}/draft", json={"files": files}, headers=auth("owner"))
    with app.app_context():
        before = definition_count()
        db.session.remove()
    resp = client.post(f"/api/v1/models/{APPROVAL_KEY}/draft/deploy", json={"change_note": "try"},
                       headers=auth("owner"))
    assert resp.status_code == 422
    assert client.get(f"/api/v1/models/{APPROVAL_KEY}/draft", headers=auth("owner")).get_json()["is_draft"]
    with app.app_context():
        assert definition_count() == before
        db.session.remove()


def test_deploying_a_good_draft_creates_a_version_and_clears_the_draft(client, auth):
    _deploy_base(client, auth)
    files = _texts(approval_files())
    files["approval3.bpmn"] = files["approval3.bpmn"].replace('name="Approve"', 'name="审批"')
    client.put(f"/api/v1/models/{APPROVAL_KEY}/draft", json={"files": files}, headers=auth("owner"))
    resp = client.post(f"/api/v1/models/{APPROVAL_KEY}/draft/deploy", json={"change_note": "中文名称"},
                       headers=auth("owner"))
    assert resp.status_code == 201, resp.get_json()
    assert client.get(f"/api/v1/models/{APPROVAL_KEY}/draft", headers=auth("owner")).get_json()["is_draft"] is False
    assert client.delete(f"/api/v1/models/{APPROVAL_KEY}/draft", headers=auth("owner")).status_code == 404
