"""Cases flagged by failing timers or deliveries show on the supervisors' desk until cleared."""
from sqlalchemy import select

from app.db import db
from app.models import Case
from tests.lifecycle_paths import SAMPLE_COMPLAINT


def _flagged_case(app, client, auth) -> str:
    case_no = client.post("/api/v1/complaints", json=SAMPLE_COMPLAINT, headers=auth("intake_12345")).get_json()["case_no"]
    with app.app_context():
        case = db.session.execute(select(Case).where(Case.case_no == case_no)).scalar_one()
        case.needs_attention, case.attention_reason = True, "Timer rectify_deadline_timer failed 5 times: boom"
        db.session.commit()
        db.session.remove()
    return case_no


def test_the_region_supervisor_sees_and_clears_a_flagged_case(app, client, auth):
    case_no = _flagged_case(app, client, auth)
    listed = client.get("/api/v1/supervision/attention", headers=auth("supervisor_hy")).get_json()["cases"]
    assert [c["case_no"] for c in listed] == [case_no] and "failed 5 times" in listed[0]["reason"]
    assert client.get(f"/api/v1/cases/{case_no}", headers=auth("supervisor_hy")).get_json()["needs_attention"]
    cleared = client.post(f"/api/v1/cases/{case_no}/attention/clear", json={"note": "已修复模型"},
                          headers=auth("supervisor_hy"))
    assert cleared.status_code == 200 and cleared.get_json()["needs_attention"] is False
    assert client.get("/api/v1/supervision/attention", headers=auth("supervisor_hy")).get_json()["cases"] == []
    again = client.post(f"/api/v1/cases/{case_no}/attention/clear", json={}, headers=auth("supervisor_hy"))
    assert again.status_code == 409


def test_handlers_cannot_use_the_attention_list(app, client, auth):
    case_no = _flagged_case(app, client, auth)
    assert client.get("/api/v1/supervision/attention", headers=auth("handler_hygov")).status_code == 403
    assert client.post(f"/api/v1/cases/{case_no}/attention/clear", json={},
                       headers=auth("handler_hygov")).status_code == 404
