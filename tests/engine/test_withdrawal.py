"""Withdrawal at any stage: an interrupting boundary message on the embedded subprocess
`case_handling` must cancel everything inside it, including a user task waiting in a *called*
process (call activity), and run the withdrawal branch."""
from datetime import datetime, timedelta, timezone

import pytest
import time_machine

from app.engine import Instance
from app.errors import Conflict, TaskNotAvailable
from SpiffWorkflow.util.task import TaskState

from .conftest import package_of

T0 = datetime(2030, 3, 4, 1, 0, tzinfo=timezone.utc)


@pytest.fixture(scope="module")
def compiled():
    return package_of("withdraw.bpmn").compile("complaint_case")


def _unfinished_anywhere(inst):
    wf = inst.workflow
    mask = TaskState.READY | TaskState.WAITING | TaskState.STARTED
    tasks = list(wf.get_tasks(state=mask))
    for sub in wf.subprocesses.values():
        tasks.extend(sub.get_tasks(state=mask))
    return sorted({t.task_spec.bpmn_id or t.task_spec.name for t in tasks})


@pytest.mark.parametrize("persist", [False, True], ids=["in-memory", "dump-load"])
def test_withdraw_message_cancels_user_task_inside_called_process(compiled, env, persist):
    with time_machine.travel(T0, tick=False):
        inst = Instance.start(compiled, {"case_no": "C-1"}, env)
        [verify] = inst.ready_tasks()
        assert (verify.spec_id, verify.process_id) == ("verify", "verification")
        assert inst.waiting_messages() == ["complaint_withdrawn"]
        if persist:
            inst = Instance.load(compiled, inst.dump(), env)
        inst.send_message("complaint_withdrawn", {"reason": "settled privately"})
        if persist:
            inst = Instance.load(compiled, inst.dump(), env)

    assert inst.is_completed
    assert inst.data["outcome"] == "withdrawn" and inst.data["withdraw_reason"] == "settled privately"
    assert inst.ready_tasks() == [] and inst.waiting_timers() == [] and inst.waiting_messages() == []
    assert _unfinished_anywhere(inst) == []
    assert inst.get_task(verify.id).state == "CANCELLED"
    for spec_id in ("case_handling", "call_verification", "reminder"):
        states = {t.state for t in inst.workflow.get_tasks() if t.task_spec.bpmn_id == spec_id}
        assert states == {TaskState.CANCELLED}, spec_id
    with pytest.raises(TaskNotAvailable):
        inst.complete_task(verify.id, {"verified": True})
    assert [(h.spec_id, h.state) for h in inst.history()] == [("verify", "CANCELLED"), ("end_withdrawn", "COMPLETED")]
    assert inst.drain_events() == []  # case_closed is only thrown on the normal path

    # a reminder that would have been due later never runs
    with time_machine.travel(T0 + timedelta(days=5), tick=False):
        inst.advance()
    assert "reminders" not in inst.data


def test_message_with_nobody_waiting_is_a_conflict(compiled, env):
    inst = Instance.start(compiled, {"case_no": "C-2"}, env)
    with pytest.raises(Conflict):
        inst.send_message("no_such_message", {})
    inst.complete_task(inst.ready_tasks()[0].id, {"verified": True})
    assert inst.is_completed
    with pytest.raises(Conflict):
        inst.send_message("complaint_withdrawn", {"reason": "too late"})


def test_uncaught_signal_comes_out_of_drain_events_once(compiled, env):
    inst = Instance.start(compiled, {"case_no": "C-3"}, env)
    assert inst.drain_events() == []
    inst.complete_task(inst.ready_tasks()[0].id, {"verified": True})
    assert inst.data["outcome"] == "rectified"
    assert inst.drain_events() == [{"type": "signal", "name": "case_closed", "payload": None}]
    assert inst.drain_events() == []


def test_undrained_events_survive_dump_and_load(compiled, env):
    inst = Instance.start(compiled, {"case_no": "C-4"}, env)
    inst.complete_task(inst.ready_tasks()[0].id, {"verified": True})
    again = Instance.load(compiled, inst.dump(), env)
    assert [e["name"] for e in again.drain_events()] == ["case_closed"]
