"""Instance: start, ready tasks, completion, persistence between steps, errors."""
import json

import pytest

from app.engine import Instance, ScriptEnvironment, build_package, dump_spec, load_spec
from app.errors import InvalidSubmission, ProcessError, TaskNotAvailable

from .conftest import package_of

FORMS = [("ut_request", {"requester": "Zhang San", "reason": "准入"}), ("ut_amount", {"amount": 3000}),
         ("ut_approve", {"approved": True})]


@pytest.fixture(scope="module")
def approval3():
    return package_of("approval3.bpmn").compile("Process_approval3")


def test_approval3_runs_start_to_end_in_memory(approval3, env):
    inst = Instance.start(approval3, {"case_no": "C-1"}, env)
    for spec_id, form in FORMS:
        [task] = inst.ready_tasks()
        assert task.spec_id == spec_id and task.process_id == "Process_approval3"
        inst.complete_task(task.id, form)
    assert inst.is_completed and inst.ready_tasks() == []
    assert inst.data["threshold"] == 50 and inst.data["requester"] == "Zhang San"
    assert [h.spec_id for h in inst.history()] == ["ut_request", "ut_amount", "ut_approve", "end_approved"]


def test_approval3_runs_with_dump_and_load_after_every_step(approval3, env):
    spec_json = dump_spec(approval3)
    compiled = load_spec(spec_json, "approval3-v1")
    state = Instance.start(compiled, {"case_no": "C-2"}, env).dump()
    for spec_id, form in FORMS:
        inst = Instance.load(load_spec(spec_json, "approval3-v1"), state, env)
        [task] = inst.ready_tasks()
        assert task.spec_id == spec_id
        inst.complete_task(task.id, form)
        state = inst.dump()
    inst = Instance.load(compiled, state, env)
    assert inst.is_completed
    assert inst.data["approved"] is True and inst.data["reason"] == "准入"
    assert [h.spec_id for h in inst.history()] == ["ut_request", "ut_amount", "ut_approve", "end_approved"]


def test_ready_task_data_is_a_copy(approval3, env):
    inst = Instance.start(approval3, {"case_no": "C-3"}, env)
    inst.ready_tasks()[0].data["case_no"] = "tampered"
    assert inst.ready_tasks()[0].data["case_no"] == "C-3"


def test_completing_twice_raises_task_not_available(approval3, env):
    inst = Instance.start(approval3, {}, env)
    task_id = inst.ready_tasks()[0].id
    inst.complete_task(task_id, {"requester": "a"})
    with pytest.raises(TaskNotAvailable):
        inst.complete_task(task_id, {"requester": "b"})
    assert inst.get_task(task_id).state == "COMPLETED"
    assert inst.data["requester"] == "a"


@pytest.mark.parametrize("task_id", ["not-a-uuid", "00000000-0000-0000-0000-000000000000"])
def test_unknown_task_raises_task_not_available(approval3, env, task_id):
    with pytest.raises(TaskNotAvailable):
        Instance.start(approval3, {}, env).complete_task(task_id, {})


def test_non_user_task_cannot_be_completed(approval3, env):
    inst = Instance.start(approval3, {}, env)
    script_task = next(t for t in inst.workflow.get_tasks() if t.task_spec.bpmn_id == "init")
    with pytest.raises(TaskNotAvailable):
        inst.complete_task(str(script_task.id), {})


def test_reserved_and_helper_field_names_are_refused(approval3):
    env = ScriptEnvironment({"add_days": lambda a, b: a})
    inst = Instance.start(approval3, {}, env)
    task_id = inst.ready_tasks()[0].id
    for bad in ({"typename": "x"}, {"add_days": 3}, {"nested": {"typename": 1}}):
        with pytest.raises(InvalidSubmission):
            inst.complete_task(task_id, bad)
    assert inst.get_task(task_id).state == "READY"


def test_element_states_for_diagram(approval3, env):
    inst = Instance.start(approval3, {}, env)
    states = inst.element_states()
    assert states["start"] == "completed" and states["init"] == "completed" and states["ut_request"] == "ready"
    assert "ut_amount" not in states


def test_instructions_are_rendered_in_a_sandbox(env):
    compiled = package_of("withdraw.bpmn").compile("complaint_case")
    [task] = Instance.start(compiled, {"case_no": "C-7"}, env).ready_tasks()
    assert task.instructions == "Verify case C-7"
    from app.engine import render_instructions
    assert render_instructions("{{ x.__class__.__mro__ }}", {"x": 1}) in ("", "{{ x.__class__.__mro__ }}")
    assert render_instructions("{% broken", {}) == "{% broken"


FAILING = b"""<?xml version="1.0" encoding="UTF-8"?>
<bpmn:definitions xmlns:bpmn="http://www.omg.org/spec/BPMN/20100524/MODEL" id="d" targetNamespace="t">
  <bpmn:process id="p" isExecutable="true">
    <bpmn:startEvent id="start"><bpmn:outgoing>f1</bpmn:outgoing></bpmn:startEvent>
    <bpmn:userTask id="ask" name="Ask"><bpmn:incoming>f1</bpmn:incoming><bpmn:outgoing>f2</bpmn:outgoing></bpmn:userTask>
    <bpmn:scriptTask id="divide" name="Divide"><bpmn:incoming>f2</bpmn:incoming><bpmn:outgoing>f3</bpmn:outgoing>
      <bpmn:script>ratio = 1 / n</bpmn:script></bpmn:scriptTask>
    <bpmn:endEvent id="end"><bpmn:incoming>f3</bpmn:incoming></bpmn:endEvent>
    <bpmn:sequenceFlow id="f1" sourceRef="start" targetRef="ask" />
    <bpmn:sequenceFlow id="f2" sourceRef="ask" targetRef="divide" />
    <bpmn:sequenceFlow id="f3" sourceRef="divide" targetRef="end" />
  </bpmn:process>
</bpmn:definitions>"""


def test_script_failure_becomes_process_error_and_instance_is_dirty(env):
    compiled = build_package({"f.bpmn": FAILING}).compile("p")
    inst = Instance.start(compiled, {}, env)
    saved = inst.dump()
    with pytest.raises(ProcessError) as info:
        inst.complete_task(inst.ready_tasks()[0].id, {"n": 0})
    assert info.value.element_id == "divide" and "ZeroDivisionError" in info.value.message
    with pytest.raises(ProcessError):
        inst.dump()
    # the caller reloads the last good state and the user can try again
    again = Instance.load(compiled, saved, env)
    again.complete_task(again.ready_tasks()[0].id, {"n": 4})
    assert again.is_completed and again.data["ratio"] == 0.25


def test_state_json_has_version_and_no_spec(approval3, env):
    doc = json.loads(Instance.start(approval3, {}, env).dump())
    assert doc["serializer_version"] == "1.5" and "spec" not in doc and "subprocess_specs" not in doc


def test_bare_engine_exception_from_a_timer_names_the_timer(env):
    from .conftest import model_bytes
    xml = model_bytes("timers.bpmn").replace(
        b'<bpmn:timeDate xsi:type="bpmn:tFormalExpression">rectify_deadline</bpmn:timeDate>',
        b'<bpmn:timeDuration xsi:type="bpmn:tFormalExpression">"5 days"</bpmn:timeDuration>')
    compiled = build_package({"t.bpmn": xml}).compile("rectification")
    with pytest.raises(ProcessError) as info:
        Instance.start(compiled, {"deadline_in": "unused"}, env)
    assert info.value.element_id == "deadline_timer" and "Invalid duration" in info.value.message


DMN_PROCESS = b"""<?xml version="1.0" encoding="UTF-8"?>
<bpmn:definitions xmlns:bpmn="http://www.omg.org/spec/BPMN/20100524/MODEL"
  xmlns:spiffworkflow="http://spiffworkflow.org/bpmn/schema/1.0/core" id="d" targetNamespace="t">
  <bpmn:process id="route" isExecutable="true">
    <bpmn:startEvent id="start"><bpmn:outgoing>f1</bpmn:outgoing></bpmn:startEvent>
    <bpmn:businessRuleTask id="decide" name="Decide">
      <bpmn:extensionElements><spiffworkflow:calledDecisionId>pick_org</spiffworkflow:calledDecisionId></bpmn:extensionElements>
      <bpmn:incoming>f1</bpmn:incoming><bpmn:outgoing>f2</bpmn:outgoing></bpmn:businessRuleTask>
    <bpmn:endEvent id="end"><bpmn:incoming>f2</bpmn:incoming></bpmn:endEvent>
    <bpmn:sequenceFlow id="f1" sourceRef="start" targetRef="decide" />
    <bpmn:sequenceFlow id="f2" sourceRef="decide" targetRef="end" />
  </bpmn:process>
</bpmn:definitions>"""

DMN = b"""<?xml version="1.0" encoding="UTF-8"?>
<definitions xmlns="https://www.omg.org/spec/DMN/20191111/MODEL/" id="dd" name="d" namespace="x">
  <decision id="pick_org" name="Pick org">
    <decisionTable id="t" hitPolicy="FIRST">
      <input id="i1"><inputExpression id="ie1" typeRef="string"><text>respondent["kind"]</text></inputExpression></input>
      <input id="i2"><inputExpression id="ie2" typeRef="number"><text>level</text></inputExpression></input>
      <output id="o1" name="routing.org" typeRef="string" /><output id="o2" name="routing.days" typeRef="number" />
      <rule id="r1"><inputEntry id="e1"><text>? in ("agency", "government")</text></inputEntry><inputEntry id="e1b"><text>&gt;= 3</text></inputEntry>
        <outputEntry id="oe1"><text>double(21)</text></outputEntry><outputEntry id="oe1b"><text>10</text></outputEntry></rule>
      <rule id="r2"><inputEntry id="e2"><text>-</text></inputEntry><inputEntry id="e2b"><text>-</text></inputEntry>
        <outputEntry id="oe2"><text>"default"</text></outputEntry><outputEntry id="oe2b"><text>5</text></outputEntry></rule>
    </decisionTable>
  </decision>
</definitions>"""


@pytest.mark.parametrize("kind, level, expected", [("government", 3, {"org": 42, "days": 10}),
                                                   ("company", 3, {"org": "default", "days": 5})])
def test_dmn_runs_under_the_restricted_environment(env, kind, level, expected):
    compiled = build_package({"route.bpmn": DMN_PROCESS}, {"pick_org.dmn": DMN}).compile("route")
    inst = Instance.start(compiled, {"respondent": {"kind": kind}, "level": level}, env)
    assert inst.is_completed and inst.data["routing"] == expected
