"""lint(): elements no flow leads to, and exclusive gateways without a default flow."""
from app.engine import build_package, lint

from .conftest import model_bytes

ROLES = {"handler", "intake_officer", "supervisor"}
FORMS = {"form_request.json": {}, "form_amount.json": {}, "form_approve.json": {}}


def _lint(xml: bytes):
    return {(p.element_id, p.code) for p in lint(build_package({"a.bpmn": xml}), "Process_approval3", FORMS, ROLES, set())}


def test_an_element_without_incoming_flow_is_unreachable():
    xml = model_bytes("approval3.bpmn").replace(
        b'<bpmn:endEvent id="end_rejected"',
        b'<bpmn:userTask id="orphan" name="Orphan" /><bpmn:exclusiveGateway id="lonely_gw" />'
        b'<bpmn:endEvent id="end_rejected"')
    problems = _lint(xml)
    assert ("orphan", "unreachable") in problems and ("lonely_gw", "unreachable") in problems
    assert not any(code == "unreachable" for eid, code in problems if eid in ("start", "init", "ut_request"))


def test_start_and_boundary_events_are_not_unreachable():
    problems = lint(build_package({"t.bpmn": model_bytes("timers.bpmn")}), "rectification",
                    {"rectify.schema.json": {}, "review.schema.json": {}}, ROLES, set())
    assert not [p for p in problems if p.code == "unreachable"]


def test_a_gateway_without_default_is_flagged():
    xml = model_bytes("approval3.bpmn").replace(b' default="f_gw_rejected"', b"")
    assert ("gw_approved", "no-default") in _lint(xml)


def test_the_shipped_lifecycle_has_no_unreachable_elements():
    from app.config import ROOT

    bpmn = {p.name: p.read_bytes() for p in (ROOT / "bpmn").glob("*.bpmn")}
    dmn = {p.name: p.read_bytes() for p in (ROOT / "bpmn").glob("*.dmn")}
    problems = lint(build_package(bpmn, dmn), "breach_complaint", {}, ROLES, set())
    assert not [p for p in problems if p.code in ("unreachable", "no-default")]
