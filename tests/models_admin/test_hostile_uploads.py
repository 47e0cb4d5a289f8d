"""Whatever a user uploads — from another modeler, half-written, malformed, hostile — is either
accepted or refused with a clear message naming the file or element: never a 500, never a
half-deployed version."""
import pytest

from tests.hostile_xml import BOMB, XXE

from .conftest import APPROVAL_KEY, approval_files, definition_count

DOCTYPE = b"""<?xml version="1.0"?><!DOCTYPE html><bpmn:definitions xmlns:bpmn="http://www.omg.org/spec/BPMN/20100524/MODEL" id="d"/>"""
CAMUNDA = b"""<?xml version="1.0" encoding="UTF-8"?>
<bpmn:definitions xmlns:bpmn="http://www.omg.org/spec/BPMN/20100524/MODEL" xmlns:camunda="http://camunda.org/schema/1.0/bpmn"
    xmlns:bpmndi="http://www.omg.org/spec/BPMN/20100524/DI" xmlns:dc="http://www.omg.org/spec/DD/20100524/DC"
    id="Definitions_1" targetNamespace="http://bpmn.io/schema/bpmn" exporter="Camunda Modeler" exporterVersion="5.20.0">
  <bpmn:process id="camunda_review" name="Review" isExecutable="true" camunda:historyTimeToLive="180">
    <bpmn:startEvent id="StartEvent_1"><bpmn:outgoing>Flow_1</bpmn:outgoing></bpmn:startEvent>
    <bpmn:userTask id="Activity_review" name="Review claim" camunda:formKey="embedded:app:forms/review.html" camunda:assignee="demo">
      <bpmn:incoming>Flow_1</bpmn:incoming><bpmn:outgoing>Flow_2</bpmn:outgoing>
    </bpmn:userTask>
    <bpmn:endEvent id="Event_end"><bpmn:incoming>Flow_2</bpmn:incoming></bpmn:endEvent>
    <bpmn:sequenceFlow id="Flow_1" sourceRef="StartEvent_1" targetRef="Activity_review" />
    <bpmn:sequenceFlow id="Flow_2" sourceRef="Activity_review" targetRef="Event_end" />
  </bpmn:process>
  <bpmndi:BPMNDiagram id="BPMNDiagram_1"><bpmndi:BPMNPlane id="BPMNPlane_1" bpmnElement="camunda_review">
    <bpmndi:BPMNShape id="s1" bpmnElement="StartEvent_1"><dc:Bounds x="179" y="79" width="36" height="36" /></bpmndi:BPMNShape>
  </bpmndi:BPMNPlane></bpmndi:BPMNDiagram>
</bpmn:definitions>"""
BAD_DMN_CELL = b"""<?xml version="1.0" encoding="UTF-8"?>
<definitions xmlns="https://www.omg.org/spec/DMN/20191111/MODEL/" id="d" name="d" namespace="x">
  <decision id="pick" name="Pick">
    <decisionTable id="t" hitPolicy="FIRST">
      <input id="i1"><inputExpression id="ie1" typeRef="string"><text>amount</text></inputExpression></input>
      <output id="o1" name="level" typeRef="string" />
      <rule id="r1"><inputEntry id="cell_bad"><text>&gt;&gt; 5 ((</text></inputEntry><outputEntry id="oe1"><text>"high"</text></outputEntry></rule>
    </decisionTable>
  </decision>
</definitions>"""
DMN_TASK = b"""<bpmn:businessRuleTask id="decide" name="Decide">
      <bpmn:extensionElements><spiffworkflow:calledDecisionId>pick</spiffworkflow:calledDecisionId></bpmn:extensionElements>
      <bpmn:incoming>f_init_ut1</bpmn:incoming><bpmn:outgoing>f_decided</bpmn:outgoing>
    </bpmn:businessRuleTask>
    <bpmn:sequenceFlow id="f_decided" sourceRef="decide" targetRef="ut_request" />
    <bpmn:userTask id="ut_request" """
LANES = b"""<bpmn:laneSet id="ls"><bpmn:lane id="lane_x" name="janitor"><bpmn:flowNodeRef>ut_request</bpmn:flowNodeRef></bpmn:lane></bpmn:laneSet>
    <bpmn:startEvent id="start">"""


def _with(name: str, data: bytes) -> dict:
    files = approval_files()
    files[name] = data
    return files


def _bpmn(old: bytes, new: bytes) -> dict:
    files = approval_files()
    assert old in files["approval3.bpmn"]
    files["approval3.bpmn"] = files["approval3.bpmn"].replace(old, new, 1)
    return files


def _dmn_bundle() -> dict:
    files = _bpmn(b'<bpmn:userTask id="ut_request" ', DMN_TASK)
    files["approval3.bpmn"] = files["approval3.bpmn"].replace(
        b'<bpmn:sequenceFlow id="f_init_ut1" sourceRef="init" targetRef="ut_request" />',
        b'<bpmn:sequenceFlow id="f_init_ut1" sourceRef="init" targetRef="decide" />').replace(
        b'<bpmn:incoming>f_init_ut1</bpmn:incoming>\n      <bpmn:outgoing>f_ut1_ut2</bpmn:outgoing>',
        b'<bpmn:incoming>f_decided</bpmn:incoming>\n      <bpmn:outgoing>f_ut1_ut2</bpmn:outgoing>')
    files["pick.dmn"] = BAD_DMN_CELL
    return files


CASES = {
    "camunda modeler file": ({"review.bpmn": CAMUNDA}, "review.bpmn", "Activity_review"),
    "truncated xml": (_with("approval3.bpmn", approval_files()["approval3.bpmn"][:1500]), "approval3.bpmn", None),
    "malformed xml": (_with("approval3.bpmn", b"<bpmn:definitions><oops></bpmn:definitions>"), "approval3.bpmn", None),
    "not xml at all": (_with("approval3.bpmn", b"hello, I am a text file"), "approval3.bpmn", None),
    "xml bomb": (_with("approval3.bpmn", BOMB), "approval3.bpmn", None),
    "xxe": (_with("approval3.bpmn", XXE), "approval3.bpmn", None),
    "doctype": (_with("approval3.bpmn", DOCTYPE), "approval3.bpmn", None),
    "dmn with a bad cell": (_dmn_bundle(), "pick.dmn", "cell_bad"),
    "unknown form": (_bpmn(b'value="form_amount.json"', b'value="form_nowhere.json"'), "approval3.bpmn", "ut_amount"),
    "unknown lane role": (_bpmn(b'<bpmn:startEvent id="start">', LANES), "approval3.bpmn", "lane_x"),
    "__import__ script": (_bpmn(b"threshold = 50", b"threshold = __import__('os').getcwd()"), "approval3.bpmn", "init"),
    "dunder script": (_bpmn(b"threshold = 50", b"threshold = ().__class__.__base__"), "approval3.bpmn", "init"),
    "unreachable element": (_bpmn(b'<bpmn:endEvent id="end_rejected"',
                                  b'<bpmn:task id="orphan" name="Orphan" />\n    <bpmn:endEvent id="end_rejected"'),
                            "approval3.bpmn", "orphan"),
    "gateway without default": (_bpmn(b' default="f_gw_rejected"', b""), "approval3.bpmn", "gw_approved"),
    "empty file": (_with("approval3.bpmn", b""), "approval3.bpmn", None),
    "whitespace file": (_with("approval3.bpmn", b"  \n\t "), "approval3.bpmn", None),
    "binary file": (_with("approval3.bpmn", b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR" + bytes(range(256))), "approval3.bpmn", None),
    "utf-16 file": (_with("approval3.bpmn", approval_files()["approval3.bpmn"].decode().encode("utf-16")),
                    "approval3.bpmn", None),
    "broken form json": (_with("form_amount.json", b"{not json"), "form_amount.json", None),
    "form that is a list": (_with("form_amount.json", b"[1, 2]"), "form_amount.json", None),
    "unsupported file type": (_with("virus.exe", b"MZ\x90\x00"), "virus.exe", None),
    "path in file name": (_with("..\\..\\etc\\passwd.bpmn", CAMUNDA), None, None),
    "only a dmn": ({"pick.dmn": BAD_DMN_CELL}, None, None),
    "no executable process": ({"review.bpmn": CAMUNDA.replace(b'isExecutable="true"', b'isExecutable="false"')},
                              "review.bpmn", None),
}


@pytest.mark.parametrize("name", sorted(CASES))
def test_hostile_upload_is_refused_with_a_message_and_nothing_deployed(ctx_app, post_files, name):
    files, bad_file, element = CASES[name]
    before = definition_count()
    resp = post_files("/deploy", files, change_note="hostile")
    body = resp.get_json()
    assert resp.status_code in (400, 413, 422), (resp.status_code, body)
    assert body["message"]
    problems = body.get("problems") or []
    if bad_file:
        assert any(p.get("file") == bad_file for p in problems), problems
    if element:
        assert any(p.get("element_id") == element for p in problems), problems
    assert definition_count() == before

    check = post_files("/validate", files)
    assert check.status_code in (200, 422), check.get_json()
    if check.status_code == 200:
        assert check.get_json()["valid"] is False and check.get_json()["problems"]


def test_a_ten_megabyte_file_is_refused_with_413(ctx_app, post_files):
    before = definition_count()
    resp = post_files("/deploy", _with("approval3.bpmn", b"<a>" + b"x" * 10_000_000 + b"</a>"))
    assert resp.status_code == 413 and "limit" in resp.get_json()["message"]
    assert definition_count() == before


def test_a_file_over_the_per_file_cap_names_the_file(ctx_app, app, post_files):
    limit = app.extensions["lvyue.settings"].max_upload_bytes
    resp = post_files("/deploy", _with("form_amount.json", b" " * (limit + 10) + b"{}"))
    assert resp.status_code == 422
    assert [p["file"] for p in resp.get_json()["problems"]] == ["form_amount.json"]


def test_a_clean_upload_validates(ctx_app, post_files):
    resp = post_files("/validate", approval_files())
    assert resp.status_code == 200 and resp.get_json() == {"valid": True, "problems": []}


def test_an_endless_script_in_a_dry_run_is_stopped_naming_the_element(ctx_app, client, auth):
    files = _bpmn(b"threshold = 50", b"while True:\n    pass")
    texts = {n: b.decode() for n, b in files.items()}
    before = definition_count()
    resp = client.post("/api/v1/models/dry-run", headers=auth("owner"),
                       json={"files": texts, "process_key": APPROVAL_KEY, "data": {}})
    body = resp.get_json()
    assert resp.status_code == 422 and body["element_id"] == "init", body
    assert "time limit" in body["message"]
    assert definition_count() == before


@pytest.mark.parametrize("user,status", [("handler_hygov", 403), ("admin", 403), ("supervisor_city", 403)])
def test_only_process_owners_may_deploy(ctx_app, post_files, user, status):
    assert post_files("/deploy", approval_files(), user=user).status_code == status


def test_anonymous_calls_are_refused(client):
    assert client.get("/api/v1/models").status_code == 401
