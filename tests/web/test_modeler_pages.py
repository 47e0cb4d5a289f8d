"""The modeler's pages and session-JSON endpoints (/models/<key>/edit, draft.json, validate.json,
deploy.json, preview.json, /models/<key>/diff): process owners edit, validate and deploy; administrators
look and validate; everyone else gets 404; every write needs the CSRF header.

Nothing here deploys a changed `breach_complaint` (process definitions outlive a test): deploying
tests use a small approval process under its own key."""
from __future__ import annotations

from pathlib import Path

import pytest
from sqlalchemy import func, select

from app import clock
from app.db import db, unit_of_work
from app.models import ModelDraft, ProcessDefinition, User
from app.policy import Actor
from app.services.deployment import deploy_files
from tests.drive import travel
from tests.web.conftest import csrf_from

APPROVAL3 = Path(__file__).resolve().parents[1] / "fixtures" / "approval3"
KEY = "Process_modeler_pages"


@pytest.fixture(autouse=True)
def traveller():
    with travel() as t:
        yield t


def _approval_files() -> dict[str, str]:
    files = {p.name: p.read_text(encoding="utf-8") for p in sorted(APPROVAL3.iterdir()) if p.is_file()}
    files["approval3.bpmn"] = files["approval3.bpmn"].replace('"Process_approval3"', f'"{KEY}"')
    return files


@pytest.fixture
def approval(app, demo) -> int:
    """KEY deployed as shipped (a no-op when an earlier test deployed it unchanged); its latest version."""
    files = _approval_files()
    with app.app_context():
        with unit_of_work(db.session):
            bpmn = {n: t.encode() for n, t in files.items() if n.endswith(".bpmn")}
            forms = {n: t.encode() for n, t in files.items() if n.endswith(".json")}
            deploy_files(db.session, Actor.system("tests"), clock.now(), bpmn, {}, forms, "baseline")
        latest = _latest(KEY)
        db.session.remove()
    return latest


def _latest(key: str) -> int:
    return db.session.execute(select(func.max(ProcessDefinition.version)).where(ProcessDefinition.key == key)).scalar_one()


def _token(client, key: str = "breach_complaint") -> str:
    page = client.get(f"/models/{key}/edit")
    assert page.status_code == 200
    html = page.get_data(as_text=True)
    start = html.index('name="csrf-token" content="') + len('name="csrf-token" content="')
    return html[start:html.index('"', start)]


def _json(client, method: str, path: str, body=None, token: str | None = None):
    headers = {"X-CSRFToken": token} if token else {}
    return client.open(path, method=method, json=body, headers=headers)


# -- who may open what ------------------------------------------------------------------------------
@pytest.mark.parametrize("path", ["/models/breach_complaint/edit", "/models/breach_complaint/draft.json",
                                  "/models/breach_complaint/diff", "/models/breach_complaint/diff.json"])
def test_handlers_and_supervisors_get_404(staff_client, path):
    assert staff_client("handler_hygov").get(path).status_code == 404
    assert staff_client("supervisor_city").get(path).status_code == 404


def test_handlers_cannot_write_either(staff_client):
    client = staff_client("handler_hygov")
    token = csrf_from(client.get("/inbox").data)
    resp = _json(client, "PUT", "/models/breach_complaint/draft.json", {"files": {"a.bpmn": "x"}}, token)
    assert resp.status_code == 404


def test_anonymous_visitors_are_sent_to_sign_in(client):
    resp = client.get("/models/breach_complaint/edit")
    assert resp.status_code == 302 and "/login" in resp.headers["Location"]


def test_an_unknown_process_is_404(staff_client):
    client = staff_client("owner")
    assert client.get("/models/no_such_process/edit").status_code == 404
    assert client.get("/models/no_such_process/draft.json").status_code == 404
    token = _token(client)
    resp = _json(client, "PUT", "/models/no_such_process/draft.json", {"files": {"x.bpmn": "<x/>"}}, token)
    assert resp.status_code == 404
    with client.application.app_context():
        assert db.session.get(ModelDraft, "no_such_process") is None


# -- the page -----------------------------------------------------------------------------------------
def test_owner_gets_the_modeler_with_its_controls_and_the_csrf_meta(staff_client):
    html = staff_client("owner").get("/models/breach_complaint/edit").get_data(as_text=True)
    assert 'data-read-only="false"' in html and 'id="modeler-save"' in html and 'id="modeler-deploy"' in html
    assert 'id="modeler-discard"' in html and '<meta name="csrf-token"' in html
    assert "dist/modeler.js" in html and "dist/modeler.css" in html
    assert "/models/breach_complaint/forms/__NAME__" in html  # the form editor, linked by URL
    assert 'style="' not in html and "<script>" not in html  # CSP: nothing inline


def test_admin_sees_the_modeler_read_only(staff_client):
    html = staff_client("admin").get("/models/breach_complaint/edit").get_data(as_text=True)
    assert 'data-read-only="true"' in html and 'id="modeler-validate"' in html
    assert 'id="modeler-save"' not in html and 'id="modeler-deploy"' not in html and 'id="modeler-discard"' not in html


def test_the_draft_starts_from_the_latest_deployed_files(staff_client):
    body = staff_client("owner").get("/models/breach_complaint/draft.json").get_json()
    assert body["is_draft"] is False and body["latest_version"] >= 1
    assert 'id="verify"' in body["files"]["complaint_verification.bpmn"]
    assert "verify.schema.json" in body["files"] and "routing_decision.dmn" in body["files"]
    assert body["roles"]["handler"] and body["stages"]["verification"]


# -- CSRF and roles on writes ------------------------------------------------------------------------------
def test_writes_without_the_csrf_header_are_refused(staff_client, app):
    client = staff_client("owner")
    files = client.get("/models/breach_complaint/draft.json").get_json()["files"]
    assert _json(client, "PUT", "/models/breach_complaint/draft.json", {"files": files}).status_code == 400
    assert _json(client, "POST", "/models/breach_complaint/validate.json", {"files": files}).status_code == 400
    assert _json(client, "POST", "/models/breach_complaint/deploy.json", {"change_note": "x"}).status_code == 400
    assert _json(client, "DELETE", "/models/breach_complaint/draft.json").status_code == 400
    with app.app_context():
        assert db.session.get(ModelDraft, "breach_complaint") is None


def test_admin_may_validate_but_not_save_deploy_or_discard(staff_client, app):
    client = staff_client("admin")
    token = _token(client)
    files = client.get("/models/breach_complaint/draft.json").get_json()["files"]
    resp = _json(client, "POST", "/models/breach_complaint/validate.json", {"files": files}, token)
    assert resp.status_code == 200 and resp.get_json() == {"valid": True, "problems": []}
    assert _json(client, "PUT", "/models/breach_complaint/draft.json", {"files": files}, token).status_code == 403
    assert _json(client, "POST", "/models/breach_complaint/deploy.json", {"change_note": "x"}, token).status_code == 403
    assert _json(client, "DELETE", "/models/breach_complaint/draft.json", None, token).status_code == 403
    with app.app_context():
        assert db.session.get(ModelDraft, "breach_complaint") is None


# -- save, validate, discard --------------------------------------------------------------------------
def _edit(client, key: str, name: str, old: str, new: str) -> dict:
    """What the page sends after changing one file: that file and its digest as opened."""
    draft = client.get(f"/models/{key}/draft.json").get_json()
    text = draft["files"][name]
    assert old in text, f"{old!r} is not in {name}"
    return {"files": {name: text.replace(old, new)}, "base": {name: draft["digests"][name]}}


def test_saving_a_broken_draft_keeps_it_and_names_the_elements(staff_client, app):
    client = staff_client("owner")
    token = _token(client)
    body = _edit(client, "breach_complaint", "complaint_verification.bpmn",
                 'value="verify.schema.json"', 'value="missing.schema.json"')
    resp = _json(client, "PUT", "/models/breach_complaint/draft.json", body, token)
    assert resp.status_code == 200
    problems = resp.get_json()["problems"]
    assert [(p["file"], p["element_id"], p["code"]) for p in problems] == [
        ("complaint_verification.bpmn", "verify", "unknown-form")]
    draft = client.get("/models/breach_complaint/draft.json").get_json()
    assert draft["is_draft"] is True and "missing.schema.json" in draft["files"]["complaint_verification.bpmn"]
    assert "breach_complaint.bpmn" in draft["files"] and "verify.schema.json" in draft["files"]  # the rest kept
    assert "草稿" in draft["origin_label"]


def test_a_save_over_a_file_changed_meanwhile_is_refused_and_other_files_are_kept(staff_client, app):
    owner, colleague = staff_client("owner"), staff_client("owner")
    token, other_token = _token(owner), _token(colleague)
    mine = _edit(owner, "breach_complaint", "complaint_verification.bpmn", 'name="核实投诉"', 'name="核实"')
    # meanwhile: a form saved into the draft elsewhere (the form editor), and the same diagram changed
    theirs = _edit(colleague, "breach_complaint", "verify.schema.json", '"type"', '"type" ')
    assert _json(colleague, "PUT", "/models/breach_complaint/draft.json", theirs, other_token).status_code == 200
    resp = _json(owner, "PUT", "/models/breach_complaint/draft.json", mine, token)
    assert resp.status_code == 200  # another file changed: merged, nothing lost
    draft = owner.get("/models/breach_complaint/draft.json").get_json()
    assert draft["files"]["verify.schema.json"] == theirs["files"]["verify.schema.json"]
    assert 'name="核实"' in draft["files"]["complaint_verification.bpmn"]

    stale = dict(mine, files={"complaint_verification.bpmn": mine["files"]["complaint_verification.bpmn"].replace(
        'name="核实"', 'name="核实情况"')})  # still based on the text as first opened
    resp = _json(owner, "PUT", "/models/breach_complaint/draft.json", stale, token)
    assert resp.status_code == 409 and resp.get_json()["files"] == ["complaint_verification.bpmn"]
    draft = owner.get("/models/breach_complaint/draft.json").get_json()
    assert 'name="核实"' in draft["files"]["complaint_verification.bpmn"]


def test_validate_lints_the_draft_with_the_unsaved_changes_without_storing_them(staff_client, app):
    client = staff_client("owner")
    token = _token(client)
    body = _edit(client, "breach_complaint", "complaint_rectification.bpmn",
                 'id="gw_done" name="整改完成？" default="f_not_done"', 'id="gw_done" name="整改完成？"')
    resp = _json(client, "POST", "/models/breach_complaint/validate.json", body, token)
    found = {(p["element_id"], p["code"]) for p in resp.get_json()["problems"]}
    assert found == {("gw_done", "no-default"), ("f_not_done", "no-condition")}
    with app.app_context():
        assert db.session.get(ModelDraft, "breach_complaint") is None


def test_a_restricted_script_shows_the_compilers_refusal(staff_client):
    client = staff_client("owner")
    token = _token(client)
    body = _edit(client, "breach_complaint", "breach_complaint.bpmn",
                 "supervising_org = credit_office_for(respondent_org)", "import os")
    problems = _json(client, "POST", "/models/breach_complaint/validate.json", body, token).get_json()["problems"]
    [script] = [p for p in problems if p["element_id"] == "resolve_orgs"]
    assert script["code"] == "script" and "import" in script["message"]


def test_discarding_the_draft_goes_back_to_the_latest_version(staff_client, app):
    client = staff_client("owner")
    token = _token(client)
    body = _edit(client, "breach_complaint", "complaint_verification.bpmn", 'name="核实投诉"', 'name="核实"')
    assert _json(client, "PUT", "/models/breach_complaint/draft.json", body, token).status_code == 200
    assert _json(client, "DELETE", "/models/breach_complaint/draft.json", None, token).get_json() == {"discarded": True}
    draft = client.get("/models/breach_complaint/draft.json").get_json()
    assert draft["is_draft"] is False and 'name="核实投诉"' in draft["files"]["complaint_verification.bpmn"]
    assert _json(client, "DELETE", "/models/breach_complaint/draft.json", None, token).status_code == 404


def test_a_malformed_body_is_a_422_not_a_500(staff_client):
    client = staff_client("owner")
    token = _token(client)
    resp = _json(client, "PUT", "/models/breach_complaint/draft.json", {"files": ["not", "a", "dict"]}, token)
    assert resp.status_code == 422 and "files" in resp.get_json()["errors"]
    resp = _json(client, "PUT", "/models/breach_complaint/draft.json", {"files": {"evil.exe": "x"}}, token)
    assert resp.status_code == 422
    resp = client.put("/models/breach_complaint/draft.json", data="{not json", headers={"X-CSRFToken": token},
                      content_type="application/json")
    assert resp.status_code == 422


# -- deploy -----------------------------------------------------------------------------------------------
def _renamed(client) -> dict:
    return _edit(client, KEY, "approval3.bpmn", 'name="Approve"', 'name="Approve the request"')


def test_deploy_needs_a_change_note(staff_client, approval):
    client = staff_client("owner")
    token = _token(client, KEY)
    assert _json(client, "PUT", f"/models/{KEY}/draft.json", _renamed(client), token).status_code == 200
    resp = _json(client, "POST", f"/models/{KEY}/deploy.json", {"change_note": "  "}, token)
    assert resp.status_code == 422 and "change_note" in resp.get_json()["errors"]


def test_a_draft_with_problems_cannot_deploy(staff_client, app, approval):
    client = staff_client("owner")
    token = _token(client, KEY)
    body = _edit(client, KEY, "approval3.bpmn", 'default="f_gw_rejected"', "")
    saved = _json(client, "PUT", f"/models/{KEY}/draft.json", body, token).get_json()
    assert {p["code"] for p in saved["problems"]} >= {"no-default"}
    resp = _json(client, "POST", f"/models/{KEY}/deploy.json", {"change_note": "no default"}, token)
    assert resp.status_code == 422
    assert ("gw_approved", "no-default") in {(p["element_id"], p["code"]) for p in resp.get_json()["problems"]}
    with app.app_context():
        assert _latest(KEY) == approval  # nothing deployed
        assert db.session.get(ModelDraft, KEY) is not None  # the draft is kept


def test_deploying_the_draft_creates_the_next_version_and_removes_the_draft(staff_client, app, approval):
    client = staff_client("owner")
    token = _token(client, KEY)
    assert _json(client, "PUT", f"/models/{KEY}/draft.json", _renamed(client), token).status_code == 200
    resp = _json(client, "POST", f"/models/{KEY}/deploy.json", {"change_note": "Approve renamed"}, token)
    assert resp.status_code == 201, resp.get_json()
    body = resp.get_json()
    assert body["key"] == KEY and body["version"] == approval + 1 and body["created"] is True
    with app.app_context():
        row = db.session.execute(select(ProcessDefinition).where(
            ProcessDefinition.key == KEY, ProcessDefinition.version == approval + 1)).scalar_one()
        owner = db.session.execute(select(User).where(User.username == "owner")).scalar_one()
        assert row.change_note == "Approve renamed" and row.deployed_by_id == owner.id
        assert db.session.get(ModelDraft, KEY) is None

    # the diff page lists the renamed task; its JSON carries both versions' files
    html = client.get(f"/models/{KEY}/diff?from={approval}&to={approval + 1}").get_data(as_text=True)
    assert "ut_approve" in html and "Approve the request" in html and "dist/model_diff.js" in html
    diff = client.get(f"/models/{KEY}/diff.json?from={approval}&to={approval + 1}").get_json()
    [change] = diff["changes"]
    assert change["status"] == "changed" and change["element_id"] == "ut_approve"
    assert change["file"] == "approval3.bpmn" and change["attribute_labels"] == ["名称"]
    assert 'name="Approve"' in diff["files_from"]["approval3.bpmn"]
    assert 'name="Approve the request"' in diff["files_to"]["approval3.bpmn"]


def test_the_diff_page_of_a_single_version_says_there_is_nothing_to_compare(staff_client):
    html = staff_client("admin").get("/models/breach_complaint/diff?from=1&to=1").get_data(as_text=True)
    assert "dist/model_diff.js" not in html and "alert-info" in html


# -- sample due dates ---------------------------------------------------------------------------------
def _preview(client, token, **body):
    resp = _json(client, "POST", "/models/breach_complaint/preview.json", body, token)
    assert resp.status_code == 200
    return resp.get_json()


def test_a_due_rule_preview_uses_the_working_calendar(staff_client):
    client = staff_client("owner")
    token = _token(client)
    # 2026-03-02 is a Monday: ten working days later is Monday 16 March, end of day
    answer = _preview(client, token, what="due_rule", rule="10 workdays", start="2026-03-02T09:00")
    assert answer["ok"] and answer["due_label"] == "2026-03-16 23:59"
    answer = _preview(client, token, what="due_rule", rule="15 days", start="2026-03-02T09:00")
    assert answer["ok"] and answer["due_label"] == "2026-03-17 23:59"
    # National Day 2026: 1-7 October are holidays, so 5 working days from 30 September reach 13 October
    # (10 October, a Saturday, is a make-up working day)
    answer = _preview(client, token, what="due_rule", rule="5 workdays", start="2026-09-30T09:00")
    assert answer["ok"] and answer["due_label"] == "2026-10-13 23:59"


def test_an_until_rule_asks_for_its_variable(staff_client):
    client = staff_client("owner")
    token = _token(client)
    answer = _preview(client, token, what="due_rule", rule="until rectify_deadline", start="2026-03-02T09:00")
    assert answer["ok"] is False and answer["variables"] == ["rectify_deadline"]
    answer = _preview(client, token, what="due_rule", rule="until rectify_deadline", start="2026-03-02T09:00",
                      data={"rectify_deadline": "2026-04-01T17:00"})
    assert answer["ok"] and answer["due_label"] == "2026-04-01 17:00"
    answer = _preview(client, token, what="due_rule", rule="ten days", start="2026-03-02T09:00")
    assert answer["ok"] is False and "workdays" in answer["error"]


def test_a_timer_preview_evaluates_the_expression_for_a_sample_case(staff_client):
    client = staff_client("owner")
    token = _token(client)
    answer = _preview(client, token, what="timer", kind="timeCycle", expression='"R/P2D"', start="2026-03-02T09:00")
    assert answer["ok"] and answer["due_label"] == "2026-03-04 09:00" and answer["repeats"] is None
    answer = _preview(client, token, what="timer", kind="timeDate", expression="rectify_deadline",
                      start="2026-03-02T09:00")
    assert answer["ok"] is False and answer["variables"] == ["rectify_deadline"]
    answer = _preview(client, token, what="timer", kind="timeDate", expression="rectify_deadline",
                      start="2026-03-02T09:00", data={"rectify_deadline": "2026-03-20T17:00:00+08:00"})
    assert answer["ok"] and answer["due_label"] == "2026-03-20 17:00"
    # the helpers a model may call are there, with the working calendar
    answer = _preview(client, token, what="timer", kind="timeDate", expression="add_workdays(received_at, 10)",
                      start="2026-03-02T09:00", data={"received_at": "2026-03-02T09:00:00+08:00"})
    assert answer["ok"] and answer["due_label"] == "2026-03-16 23:59"
    answer = _preview(client, token, what="timer", kind="timeDuration", expression='"P1D"', start="2026-03-02T09:00")
    assert answer["ok"] and answer["due_label"] == "2026-03-03 09:00"


def test_a_timer_expression_that_does_not_evaluate_says_why(staff_client):
    client = staff_client("owner")
    token = _token(client)
    answer = _preview(client, token, what="timer", kind="timeDate", expression="__import__('os')",
                      start="2026-03-02T09:00")
    assert answer["ok"] is False and answer["error"]
    answer = _preview(client, token, what="timer", kind="timeDuration", expression='"tomorrow"', start="2026-03-02T09:00")
    assert answer["ok"] is False and "P10D" in answer["error"]


def test_the_timer_preview_shows_the_time_the_engine_will_wait_for(staff_client):
    """Naive dates are Beijing time; a cycle with a start first fires at that start (not one interval later)."""
    client = staff_client("owner")
    token = _token(client)
    answer = _preview(client, token, what="timer", kind="timeDate", expression='"2026-03-20T17:00:00"',
                      start="2026-03-02T09:00")
    assert answer["ok"] and answer["due_label"] == "2026-03-20 17:00"
    answer = _preview(client, token, what="timer", kind="timeCycle", expression='"R3/2026-03-05T09:00:00/P1D"',
                      start="2026-03-02T09:00")
    assert answer["ok"] and answer["due_label"] == "2026-03-05 09:00" and answer["repeats"] == 3
    answer = _preview(client, token, what="timer", kind="timeDate", expression='"P1D"', start="2026-03-02T09:00")
    assert answer["ok"] is False  # a duration is not a date: the engine could not compare it
