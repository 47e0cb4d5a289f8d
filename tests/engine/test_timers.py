"""Timers: due times are reported without waiting; moving time fires them; stale forms are refused."""
from datetime import datetime, timedelta, timezone

import pytest
import time_machine

from app.engine import Instance
from app.errors import TaskNotAvailable

from .conftest import package_of

T0 = datetime(2030, 1, 2, 1, 0, tzinfo=timezone.utc)
DEADLINE = "2030-01-10T17:00:00+08:00"


@pytest.fixture(scope="module")
def rectification():
    return package_of("timers.bpmn").compile("rectification")


def test_waiting_timers_reports_time_date_boundary_timer(rectification, env):
    with time_machine.travel(T0, tick=False):
        inst = Instance.start(rectification, {"deadline_in": DEADLINE}, env)
    [timer] = inst.waiting_timers()
    assert timer.kind == "date" and timer.spec_id == "deadline_timer" and timer.attached_to == "rectify"
    assert timer.due_at == datetime(2030, 1, 10, 9, 0, tzinfo=timezone.utc) and timer.due_at.tzinfo is not None
    assert timer.cycles_left is None


def test_a_date_without_a_zone_is_beijing_time_whatever_the_server_zone(rectification, env):
    with time_machine.travel(T0, tick=False):
        inst = Instance.start(rectification, {"deadline_in": "2030-01-10T17:00:00"}, env)
    [timer] = inst.waiting_timers()
    assert timer.due_at == datetime(2030, 1, 10, 9, 0, tzinfo=timezone.utc)


def test_timer_does_not_fire_before_due_time(rectification, env):
    with time_machine.travel(T0, tick=False):
        state = Instance.start(rectification, {"deadline_in": DEADLINE}, env).dump()
    with time_machine.travel(datetime(2030, 1, 10, 8, 59, tzinfo=timezone.utc), tick=False):
        inst = Instance.load(rectification, state, env)
        inst.advance()
    assert [t.spec_id for t in inst.ready_tasks()] == ["rectify"]


def test_stale_completion_after_interrupting_timer_is_refused(rectification, env):
    with time_machine.travel(T0, tick=False):
        inst = Instance.start(rectification, {"deadline_in": DEADLINE}, env)
        [rectify] = inst.ready_tasks()
        state = inst.dump()
    # the user opened the form before the deadline and submits it after the timer fired
    with time_machine.travel(datetime(2030, 1, 11, tzinfo=timezone.utc), tick=False):
        inst = Instance.load(rectification, state, env)
        inst.advance()
        with pytest.raises(TaskNotAvailable):
            inst.complete_task(rectify.id, {"fixed": True})
    assert inst.get_task(rectify.id).state == "CANCELLED"
    assert [t.spec_id for t in inst.ready_tasks()] == ["review"]
    assert inst.data.get("escalated") is True and "fixed" not in inst.data
    assert inst.waiting_timers() == []
    assert ("rectify", "CANCELLED") in [(h.spec_id, h.state) for h in inst.history()]
    # still usable: the stale attempt did not dirty the instance
    inst.complete_task(inst.ready_tasks()[0].id, {"review_ok": True})
    assert inst.is_completed


def test_cycle_timer_inside_call_activity_is_reported_and_counts_down(env):
    compiled = package_of("withdraw.bpmn").compile("complaint_case")
    with time_machine.travel(T0, tick=False):
        state = Instance.start(compiled, {"case_no": "C-1"}, env).dump()
    inst = Instance.load(compiled, state, env)
    [timer] = inst.waiting_timers()
    assert (timer.kind, timer.spec_id, timer.attached_to, timer.cycles_left) == ("cycle", "reminder", "verify", 3)
    assert timer.due_at == T0 + timedelta(days=1)
    with time_machine.travel(T0 + timedelta(days=1, seconds=1), tick=False):
        inst.advance()
    [timer] = inst.waiting_timers()
    assert timer.cycles_left == 2 and timer.due_at == T0 + timedelta(days=2)
    assert inst.data["reminders"] == 1  # the reminder branch ran
    assert [t.spec_id for t in inst.ready_tasks()] == ["verify"]
