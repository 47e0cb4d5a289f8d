"""Instance.update_data: administrative corrections reach the ready and waiting tasks and what runs next."""
from datetime import datetime, timezone

import pytest
import time_machine

from app.engine import Instance
from app.errors import Conflict, InvalidSubmission

from .conftest import package_of

T0 = datetime(2030, 3, 4, 1, 0, tzinfo=timezone.utc)


@pytest.fixture(scope="module")
def approval3():
    return package_of("approval3.bpmn").compile("Process_approval3")


@pytest.fixture(scope="module")
def nested():
    return package_of("withdraw.bpmn").compile("complaint_case")


def test_update_data_sets_keys_on_the_ready_task_and_the_data_snapshot(approval3, env):
    inst = Instance.start(approval3, {"handling_org": "A"}, env)
    inst.update_data({"handling_org": "B"})
    assert inst.ready_tasks()[0].data["handling_org"] == "B"
    assert inst.data["handling_org"] == "B"


def test_updated_data_flows_to_the_next_tasks_after_a_round_trip(approval3, env):
    inst = Instance.start(approval3, {"handling_org": "A"}, env)
    inst.update_data({"handling_org": "B"})
    inst = Instance.load(approval3, inst.dump(), env)
    inst.complete_task(inst.ready_tasks()[0].id, {"requester": "x"})
    assert inst.ready_tasks()[0].data["handling_org"] == "B"
    assert inst.data["handling_org"] == "B"


def test_update_data_reaches_a_task_inside_a_called_process_and_its_waiting_timer(nested, env):
    with time_machine.travel(T0, tick=False):
        inst = Instance.start(nested, {"handling_org": "A"}, env)
        inst.update_data({"handling_org": "B"})
        [verify] = inst.ready_tasks()
        assert verify.data["handling_org"] == "B"
        inst.complete_task(verify.id, {})
    assert inst.is_completed and inst.data["handling_org"] == "B"


def test_update_data_refuses_a_finished_instance(approval3, env):
    inst = Instance.start(approval3, {}, env)
    for form in ({"requester": "a"}, {"amount": 10}, {"approved": True}):
        inst.complete_task(inst.ready_tasks()[0].id, form)
    with pytest.raises(Conflict):
        inst.update_data({"handling_org": "B"})


def test_update_data_refuses_helper_names(approval3, env):
    inst = Instance.start(approval3, {}, env)
    with pytest.raises(InvalidSubmission):
        inst.update_data({"double": 1})
