"""改派: a supervisor moves a misrouted case to another handling org; later steps follow the new org."""
from sqlalchemy import select

from app.db import db
from app.models import Org
from tests.lifecycle_paths import VERIFY_UNSUBSTANTIATED
from tests.supervision.conftest import task_facts


def _reassign(client, auth, case_no, org="BB-HOUSING", who="supervisor_city"):
    return client.post(f"/api/v1/cases/{case_no}/reassign", headers=auth(who),
                       json={"org": org, "reason": "被投诉项目由市住建局直接管理，属误派。"})


def test_the_open_handler_task_and_the_case_move_to_the_new_org(verification, client, auth):
    v = verification
    task_id = task_facts(v)["id"]
    resp = _reassign(client, auth, v.case_no)
    assert resp.status_code == 200 and resp.get_json()["handling_org"] == "BB-HOUSING"
    housing = db.session.execute(select(Org.id).where(Org.code == "BB-HOUSING")).scalar_one()
    assert v.task().org_id == housing and v.case.handling_org_id == housing
    db.session.rollback()
    assert client.get(f"/api/v1/tasks/{task_id}", headers=auth("handler_hygov")).status_code == 404
    assert client.get(f"/api/v1/tasks/{task_id}", headers=auth("handler_bbhousing")).status_code == 200


def test_the_next_handler_task_is_routed_to_the_new_org(verification, client, auth):
    v = verification
    task_id = task_facts(v)["id"]
    _reassign(client, auth, v.case_no)
    done = client.post(f"/api/v1/tasks/{task_id}/complete", headers=auth("handler_bbhousing"),
                       json={"data": VERIFY_UNSUBSTANTIATED["data"]})
    assert done.status_code == 200
    [nxt] = done.get_json()["next_tasks"]
    assert nxt["task"] == "explain_to_complainant" and nxt["org"] == "BB-HOUSING"


def test_both_orgs_are_notified_and_the_change_is_audited(verification, client, auth):
    v = verification
    _reassign(client, auth, v.case_no)
    assert [n.kind for n in v.notifications_of("handler_bbhousing")] == ["case_reassigned"]
    assert [n.kind for n in v.notifications_of("handler_hygov")] == ["case_reassigned"]
    history = client.get(f"/api/v1/cases/{v.case_no}", headers=auth("supervisor_city")).get_json()["history"]
    [entry] = [h for h in history if h["action"] == "case_reassigned"]
    assert entry["detail"]["from"] == "HY-GOV" and entry["detail"]["to"] == "BB-HOUSING"


def test_an_org_outside_the_supervisors_region_is_a_field_error(verification, client, auth):
    resp = _reassign(client, auth, verification.case_no, who="supervisor_hy")
    assert resp.status_code == 422 and "org" in resp.get_json()["errors"]


def test_handlers_cannot_reassign(verification, client, auth):
    assert _reassign(client, auth, verification.case_no, who="handler_hygov").status_code == 403


def test_another_orgs_case_is_404(verification, client, auth):
    assert _reassign(client, auth, verification.case_no, who="handler_whgov").status_code == 404
