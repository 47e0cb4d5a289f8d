"""Spec stored once, state per instance; round trips keep task data; bad values are refused clearly."""
import json
from datetime import date
from decimal import Decimal

import pytest

from app.engine import SERIALIZER_VERSION, Instance, dump_spec, dump_state, load_spec, load_state
from app.engine.serializer import clear_spec_cache
from app.errors import ProcessError

from .conftest import package_of

DATA = {"case_no": "C-1", "respondent": {"name": "某某县人民政府", "kind": "government", "level": 3},
        "amount_claimed": "125000.00", "tags": ["a", "b"], "flag": None, "ratio": 0.5}


@pytest.fixture(scope="module")
def compiled():
    return package_of("withdraw.bpmn").compile("complaint_case")


def test_round_trip_keeps_task_data(compiled, env):
    inst = Instance.start(compiled, DATA, env)
    again = Instance(compiled, load_state(compiled, dump_state(inst), env), env)
    [before], [after] = inst.ready_tasks(), again.ready_tasks()
    assert after.data == before.data and after.data["respondent"] == DATA["respondent"]
    assert after.id == before.id and again.waiting_timers() == inst.waiting_timers()
    assert again.data == inst.data


def test_spec_json_round_trip_and_cache(compiled, env):
    clear_spec_cache()
    spec_json = dump_spec(compiled)
    assert json.loads(spec_json)["serializer_version"] == SERIALIZER_VERSION
    first = load_spec(spec_json, "def-1")
    assert load_spec(spec_json, "def-1") is first
    assert load_spec(spec_json, "def-2") is not first
    inst = Instance.start(first, {"case_no": "C-5"}, env)
    inst.complete_task(inst.ready_tasks()[0].id, {"verified": True})
    assert inst.is_completed and inst.data["outcome"] == "rectified"


def test_state_loads_on_a_freshly_restored_spec(compiled, env):
    state = Instance.start(compiled, DATA, env).dump()
    clear_spec_cache()
    fresh = load_spec(dump_spec(compiled), "def-fresh")
    inst = Instance.load(fresh, state, env)
    inst.complete_task(inst.ready_tasks()[0].id, {"verified": True})
    assert inst.is_completed


def test_stale_spec_format_is_refused(compiled):
    doc = json.loads(dump_spec(compiled))
    doc["serializer_version"] = "1.4"
    with pytest.raises(ProcessError):
        load_spec(json.dumps(doc), "old-spec")


def test_state_of_another_process_is_refused(compiled, env):
    other = package_of("approval3.bpmn").compile("Process_approval3")
    state = Instance.start(other, {}, env).dump()
    with pytest.raises(ProcessError):
        Instance.load(compiled, state, env)


@pytest.mark.parametrize("value", [Decimal("1.50"), date(2030, 1, 1)])
def test_non_json_values_are_refused_with_the_key(compiled, env, value):
    inst = Instance.start(compiled, {"case_no": "C-6"}, env)
    inst.workflow.get_tasks()[-1].data["fee"] = {"amount": value}  # e.g. returned by a helper
    with pytest.raises(ProcessError) as info:
        inst.dump()
    assert "fee.amount" in info.value.message


EVENT_SUBPROCESS = b"""<?xml version="1.0" encoding="UTF-8"?>
<bpmn:definitions xmlns:bpmn="http://www.omg.org/spec/BPMN/20100524/MODEL" id="d" targetNamespace="t">
  <bpmn:message id="m_upd" name="contact_updated" />
  <bpmn:process id="p" isExecutable="true">
    <bpmn:startEvent id="start"><bpmn:outgoing>f1</bpmn:outgoing></bpmn:startEvent>
    <bpmn:userTask id="work" name="Work"><bpmn:incoming>f1</bpmn:incoming><bpmn:outgoing>f2</bpmn:outgoing></bpmn:userTask>
    <bpmn:endEvent id="end"><bpmn:incoming>f2</bpmn:incoming></bpmn:endEvent>
    <bpmn:sequenceFlow id="f1" sourceRef="start" targetRef="work" />
    <bpmn:sequenceFlow id="f2" sourceRef="work" targetRef="end" />
    <bpmn:subProcess id="on_update" triggeredByEvent="true">
      <bpmn:startEvent id="u_start" isInterrupting="false"><bpmn:outgoing>u1</bpmn:outgoing>
        <bpmn:messageEventDefinition id="med" messageRef="m_upd" /></bpmn:startEvent>
      <bpmn:scriptTask id="u_note"><bpmn:incoming>u1</bpmn:incoming><bpmn:outgoing>u2</bpmn:outgoing>
        <bpmn:script>updated = True</bpmn:script></bpmn:scriptTask>
      <bpmn:endEvent id="u_end"><bpmn:incoming>u2</bpmn:incoming></bpmn:endEvent>
      <bpmn:sequenceFlow id="u1" sourceRef="u_start" targetRef="u_note" />
      <bpmn:sequenceFlow id="u2" sourceRef="u_note" targetRef="u_end" />
    </bpmn:subProcess>
  </bpmn:process>
</bpmn:definitions>"""


def test_event_subprocess_models_get_private_specs_per_instance(env):
    """Lint refuses event subprocesses; should one slip through, triggering it in one instance
    must not leak into the next instance created from the same cached spec (Pitfall 9)."""
    from SpiffWorkflow.bpmn import BpmnEvent
    from SpiffWorkflow.spiff.specs.event_definitions import MessageEventDefinition

    from app.engine import build_package
    compiled = build_package({"e.bpmn": EVENT_SUBPROCESS}).compile("p")
    assert compiled.has_event_subprocess
    first = Instance.start(compiled, {}, env)
    first.workflow.send_event(BpmnEvent(MessageEventDefinition("contact_updated"), payload={}))
    first.advance()
    second = Instance.start(compiled, {}, env)
    second.complete_task(second.ready_tasks()[0].id, {})
    assert second.is_completed and "updated" not in second.data
