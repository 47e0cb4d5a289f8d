"""Intake officers register complaints received by phone, letter or another platform in the browser."""
from __future__ import annotations

import io
import re

from sqlalchemy import select

from app.db import db
from app.models import Attachment, Case, ReadyTask
from tests.lifecycle_paths import SAMPLE_COMPLAINT
from tests.web.conftest import csrf_from

PDF = b"%PDF-1.7\n1 0 obj << /Type /Catalog >> endobj\ntrailer << /Root 1 0 R >>\n%%EOF\n"


def _form_data(token: str, **overrides) -> dict:
    c, contract = SAMPLE_COMPLAINT["complainant"], SAMPLE_COMPLAINT["contract"]
    data = {"csrf_token": token, "channel": "hotline_12345",
            **{f"complainant.{k}": v for k, v in c.items()},
            "respondent.org_code": "HY-HOUSING",
            **{f"contract.{k}": v for k, v in contract.items()},
            "statement.facts": SAMPLE_COMPLAINT["facts"], "statement.demands": SAMPLE_COMPLAINT["demands"],
            "declarations.truthful": "true", "declarations.consent_contact": "true"}
    data.update(overrides)
    return data


def test_an_intake_officer_registers_a_hotline_complaint_for_their_own_unit(app, staff_client):
    client = staff_client("intake_12345")
    page = client.get("/intake/new")
    assert page.status_code == 200 and 'name="channel"' in page.get_data(as_text=True)
    data = _form_data(csrf_from(page.data))
    data["evidence.attachments"] = (io.BytesIO(PDF), "来电记录.pdf")
    response = client.post("/intake/new", data=data, content_type="multipart/form-data")
    assert response.status_code == 302 and "/registered" in response.headers["Location"]
    shown = client.get(response.headers["Location"]).get_data(as_text=True)
    assert 'id="query-code"' in shown and "12345政务服务便民热线" in shown
    assert 'id="query-code"' not in client.get(response.headers["Location"]).get_data(as_text=True)  # once
    with app.app_context():
        case = db.session.execute(select(Case)).scalar_one()
        assert case.channel == "hotline_12345" and case.accepting_org.code == "BB-12345"
        task = db.session.execute(select(ReadyTask).where(ReadyTask.case_id == case.id)).scalar_one()
        assert task.spec_id == "triage" and task.org_id == case.accepting_org_id
        files = db.session.execute(select(Attachment).where(Attachment.case_id == case.id)).scalars().all()
        assert [f.filename for f in files] == ["来电记录.pdf"] and files[0].public
        db.session.remove()


def test_a_registration_with_errors_keeps_every_value_and_creates_nothing(app, staff_client):
    client = staff_client("intake_12345")
    token = csrf_from(client.get("/intake/new").data)
    response = client.post("/intake/new", data=_form_data(token, **{"complainant.uscc": "91340321MA2N8K3P3X",
                                                                    "channel": "offline"}))
    page = response.get_data(as_text=True)
    assert response.status_code == 422
    assert 'value="91340321MA2N8K3P3X"' in page
    assert re.search(r'<option value="offline"[^>]*\bselected', page), "the chosen channel is kept"
    with app.app_context():
        assert db.session.execute(select(Case)).first() is None
        db.session.remove()


def test_only_intake_officers_may_register_complaints(staff_client):
    assert staff_client("handler_hygov").get("/intake/new").status_code == 404
    assert staff_client("supervisor_city").get("/intake/new").status_code == 404


def test_the_registered_page_is_not_found_for_another_unit(app, staff_client):
    client = staff_client("intake_12345")
    token = csrf_from(client.get("/intake/new").data)
    location = client.post("/intake/new", data=_form_data(token)).headers["Location"]
    assert staff_client("intake_hy").get(location).status_code == 404


def test_a_page_may_carry_several_files_each_within_the_limit(app, staff_client):
    """The request cap of the API (one file) does not cut off a form with several attachments."""
    first, second = (PDF + b"%" + fill * 1_500_000 + b"\n%%EOF\n" for fill in (b"0", b"1"))
    client = staff_client("intake_12345")
    data = _form_data(csrf_from(client.get("/intake/new").data))
    data["evidence.attachments"] = [(io.BytesIO(first), "合同.pdf"), (io.BytesIO(second), "回单.pdf")]
    response = client.post("/intake/new", data=data, content_type="multipart/form-data")
    assert response.status_code == 302, response.get_data(as_text=True)[:300]
    with app.app_context():
        assert len(db.session.execute(select(Attachment)).scalars().all()) == 2
        db.session.remove()
