"""Channel intake through POST /api/v1/complaints."""
import copy

import pytest
from sqlalchemy import func, select

from app.db import db
from app.models import Case, ProcessInstance
from tests.lifecycle_paths import SAMPLE_COMPLAINT


def _count(app, model):
    with app.app_context():
        n = db.session.execute(select(func.count()).select_from(model)).scalar_one()
        db.session.remove()
        return n


def test_schema_endpoint_serves_the_intake_form(client):
    resp = client.get("/api/v1/complaints/schema")
    assert resp.status_code == 200
    schema = resp.get_json()
    assert schema["type"] == "object"
    assert {"complainant", "respondent", "facts", "declarations"} <= set(schema["properties"])


def test_filing_returns_case_number_and_query_code(client, auth):
    resp = client.post("/api/v1/complaints", json=SAMPLE_COMPLAINT, headers=auth("intake_12345"))
    assert resp.status_code == 201, resp.get_json()
    body = resp.get_json()
    assert body["case_no"].startswith("BB-20")
    assert len(body["query_code"]) == 10
    assert body["status"] == "open"


def test_filing_without_token_is_401_and_writes_nothing(app, client):
    resp = client.post("/api/v1/complaints", json=SAMPLE_COMPLAINT)
    assert resp.status_code == 401
    assert _count(app, Case) == 0


def test_idempotency_key_returns_the_same_case_on_retry(app, client, auth):
    headers = {**auth("intake_12345"), "Idempotency-Key": "WO-2026-0001"}
    first = client.post("/api/v1/complaints", json=SAMPLE_COMPLAINT, headers=headers)
    second = client.post("/api/v1/complaints", json=SAMPLE_COMPLAINT, headers=headers)
    assert first.status_code == 201 and second.status_code == 200
    assert first.get_json()["case_no"] == second.get_json()["case_no"]
    assert "query_code" not in second.get_json()
    assert _count(app, Case) == 1


def test_external_id_returns_the_same_case_on_retry(app, client, auth):
    body = {**SAMPLE_COMPLAINT, "external_id": "12345-778899"}
    first = client.post("/api/v1/complaints", json=body, headers=auth("intake_12345"))
    second = client.post("/api/v1/complaints", json=body, headers=auth("intake_12345"))
    assert first.get_json()["case_no"] == second.get_json()["case_no"]
    assert _count(app, Case) == 1


def test_duplicate_open_complaint_is_409_naming_the_existing_case(app, client, auth):
    first = client.post("/api/v1/complaints", json=SAMPLE_COMPLAINT, headers=auth("intake_12345"))
    dup = client.post("/api/v1/complaints", json=SAMPLE_COMPLAINT, headers=auth("intake_city"))
    assert dup.status_code == 409
    assert dup.get_json()["existing_case_no"] == first.get_json()["case_no"]
    assert _count(app, Case) == 1


def _leaf_paths(schema, prefix=""):
    for name, prop in schema.get("properties", {}).items():
        path = f"{prefix}{name}"
        if prop.get("type") == "object" and "properties" in prop:
            yield from _leaf_paths(prop, path + ".")
        else:
            yield path, prop


def _set(data, path, value):
    keys = path.split(".")
    for k in keys[:-1]:
        data = data.setdefault(k, {})
    data[keys[-1]] = value


def _wrong_type(prop):
    t = prop.get("type")
    if t in ("integer", "number", "boolean"):
        return "not-a-" + t
    if t == "array":
        return "not-an-array"
    return 12345 if t != "string" or "const" in prop else ["not", "a", "string"]


def _all_field_cases():
    import json
    from pathlib import Path

    schema = json.loads((Path(__file__).resolve().parents[2] / "forms" / "complaint.schema.json").read_text())
    return [(path, prop) for path, prop in _leaf_paths(schema)]


@pytest.mark.parametrize("path,prop", _all_field_cases(), ids=[p for p, _ in _all_field_cases()])
def test_bad_value_on_every_field_is_422_with_that_field_and_writes_nothing(app, client, auth, path, prop):
    body = copy.deepcopy(SAMPLE_COMPLAINT)
    _set(body, path, _wrong_type(prop))
    resp = client.post("/api/v1/complaints", json=body, headers=auth("intake_12345"))
    assert resp.status_code == 422, resp.get_json()
    errors = resp.get_json()["errors"]
    assert path in errors and errors[path][0]
    assert _count(app, Case) == 0 and _count(app, ProcessInstance) == 0


@pytest.mark.parametrize("path,value", [
    ("complainant.uscc", "91340321MA2N8K3P30"),
    ("complainant.uscc", "91340321MAON8K3P3N"),
    ("complainant.contact_phone", "12345678901"),
    ("contract.amount_claimed", "12.345"),
    ("contract.amount_claimed", "-5"),
    ("respondent.org_code", "NO-SUCH-ORG"),
    ("declarations.truthful", False),
    ("channel", "carrier_pigeon"),
])
def test_semantically_bad_values_are_422_with_a_message(app, client, auth, path, value):
    body = copy.deepcopy(SAMPLE_COMPLAINT)
    _set(body, path, value)
    resp = client.post("/api/v1/complaints", json=body, headers=auth("intake_12345"))
    assert resp.status_code == 422
    assert resp.get_json()["errors"][path]
    assert _count(app, Case) == 0


def test_missing_required_field_is_reported_at_its_path(client, auth):
    body = copy.deepcopy(SAMPLE_COMPLAINT)
    del body["complainant"]["name"]
    resp = client.post("/api/v1/complaints", json=body, headers=auth("intake_12345"))
    assert resp.status_code == 422
    assert "complainant.name" in resp.get_json()["errors"]


def test_english_messages_on_request(client, auth):
    body = copy.deepcopy(SAMPLE_COMPLAINT)
    body["complainant"]["uscc"] = "91340321MA2N8K3P30"
    zh = client.post("/api/v1/complaints", json=body, headers=auth("intake_12345")).get_json()
    en = client.post("/api/v1/complaints?lang=en", json=body, headers=auth("intake_12345")).get_json()
    assert zh["errors"]["complainant.uscc"] != en["errors"]["complainant.uscc"]


def test_non_json_body_is_422(client, auth):
    resp = client.post("/api/v1/complaints", data="not json", headers=auth("intake_12345"),
                       content_type="application/json")
    assert resp.status_code == 422


def test_openapi_document_lists_every_route(client):
    doc = client.get("/api/v1/openapi.json").get_json()
    assert doc["openapi"].startswith("3.")
    for path in ("/api/v1/complaints", "/api/v1/cases/{case_no}", "/api/v1/tasks", "/api/v1/tasks/{task_id}/complete",
                 "/api/v1/public/cases/{case_no}", "/api/v1/process-instances"):
        assert path in doc["paths"], path


def test_concurrent_retries_with_one_idempotency_key_create_one_case(app, client, auth):
    import threading

    headers = {**auth("intake_12345"), "Idempotency-Key": "WO-RACE-1"}
    barrier, codes, numbers = threading.Barrier(3), [], set()

    def worker():
        c = app.test_client()
        barrier.wait()
        resp = c.post("/api/v1/complaints", json=SAMPLE_COMPLAINT, headers=headers)
        codes.append(resp.status_code)
        numbers.add(resp.get_json().get("case_no"))

    threads = [threading.Thread(target=worker) for _ in range(3)]
    [t.start() for t in threads]
    [t.join() for t in threads]
    assert sorted(codes) == [200, 200, 201]
    assert len(numbers) == 1 and _count(app, Case) == 1


def test_concurrent_duplicates_without_key_create_one_case(app, client, auth):
    import threading

    barrier, codes = threading.Barrier(3), []

    def worker():
        c = app.test_client()
        barrier.wait()
        codes.append(c.post("/api/v1/complaints", json=SAMPLE_COMPLAINT, headers=auth("intake_12345")).status_code)

    threads = [threading.Thread(target=worker) for _ in range(3)]
    [t.start() for t in threads]
    [t.join() for t in threads]
    assert sorted(codes) == [201, 409, 409]
    assert _count(app, Case) == 1
