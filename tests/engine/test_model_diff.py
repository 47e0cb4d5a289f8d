"""Version diffs and moving running instances between model versions (app.engine.model_diff)."""
from datetime import datetime, timedelta, timezone

import pytest
import time_machine

from app.engine import Instance, ScriptEnvironment, build_package
from app.engine.model_diff import check_migration, diff_versions, migrate
from app.errors import Conflict

from .conftest import MODELS

T0 = datetime(2026, 3, 2, 1, 0, tzinfo=timezone.utc)


def compiled(name: str):
    return build_package({name: (MODELS / "migration" / name).read_bytes()}).compile("mig")


@pytest.fixture
def env():
    def in_days(n):
        return (datetime.now(timezone.utc) + timedelta(days=n)).isoformat()
    return ScriptEnvironment({"in_days": in_days}, time_limit=0.5)


def timers(instance) -> dict:
    return {t.spec_id: t for t in instance.waiting_timers()}


def ready(instance) -> list[str]:
    return [t.spec_id for t in instance.ready_tasks()]


def test_diff_lists_a_renamed_label():
    diff = diff_versions(compiled("v1.bpmn"), compiled("v2_label.bpmn"))
    assert diff.added == [] and diff.removed == []
    assert [(c.element_id, c.attributes) for c in diff.changed] == [("review", ["bpmn_name"])]


def test_diff_lists_an_inserted_user_task():
    diff = diff_versions(compiled("v1.bpmn"), compiled("v2_insert.bpmn"))
    assert [a.element_id for a in diff.added] == ["notify"]
    assert diff.removed == []
    changed = {c.element_id: c.attributes for c in diff.changed}
    assert "outputs" in changed["review"] and "inputs" in changed["approve"]


def test_diff_lists_a_removed_task_with_its_boundary_events():
    diff = diff_versions(compiled("v1.bpmn"), compiled("v2_removed.bpmn"))
    assert {"review", "deadline_timer", "reminder_timer", "remind", "escalate"} <= {r.element_id for r in diff.removed}
    assert diff.added == []


def test_diff_lists_a_changed_timer_and_property_details():
    v1 = compiled("v1.bpmn")
    assert [(c.element_id, c.attributes) for c in diff_versions(v1, compiled("v2_timer.bpmn")).changed] == [
        ("deadline_timer", ["event_definition"])]
    assert diff_versions(v1, v1).is_empty


def test_a_case_waiting_with_timers_keeps_its_due_time_and_cycle(env):
    v1, v2 = compiled("v1.bpmn"), compiled("v2_insert.bpmn")
    with time_machine.travel(T0, tick=False) as traveller:
        inst = Instance.start(v1, {}, env)
        traveller.shift(timedelta(days=1, hours=1))  # the daily reminder fired once
        inst.advance()
        before = timers(inst)
        assert inst.data["reminders"] == 1
        assert before["deadline_timer"].due_at == T0 + timedelta(days=3)
        assert before["reminder_timer"].due_at == T0 + timedelta(days=2)
        review_id = inst.ready_tasks()[0].id

        traveller.shift(timedelta(hours=5))  # migrate later: a naive migration would restart both timers
        assert check_migration(v1, v2, inst.dump(), env).ok
        moved = Instance.load(v2, migrate(v1, v2, inst.dump(), env), env)

        after = timers(moved)
        assert after["deadline_timer"].due_at == before["deadline_timer"].due_at
        assert after["reminder_timer"].due_at == before["reminder_timer"].due_at
        assert ready(moved) == ["review"] and moved.ready_tasks()[0].id == review_id
        assert moved.data["reminders"] == 1

        traveller.shift(timedelta(hours=19))  # the next reminder fires on the old schedule
        moved.advance()
        assert timers(moved)["reminder_timer"].due_at == T0 + timedelta(days=3)
        moved.complete_task(review_id, {})
        assert ready(moved) == ["notify"]  # the inserted task runs on the new version


def test_a_changed_timer_keeps_the_due_time_the_case_already_has(env):
    v1, v2 = compiled("v1.bpmn"), compiled("v2_timer.bpmn")
    with time_machine.travel(T0, tick=False) as traveller:
        inst = Instance.start(v1, {}, env)
        traveller.shift(timedelta(hours=6))
        moved = Instance.load(v2, migrate(v1, v2, inst.dump(), env), env)
        assert timers(moved)["deadline_timer"].due_at == T0 + timedelta(days=3)


def test_a_renamed_label_moves_a_finished_case_part(env):
    v1, v2 = compiled("v1.bpmn"), compiled("v2_label.bpmn")
    with time_machine.travel(T0, tick=False):
        inst = Instance.start(v1, {}, env)
        inst.complete_task(inst.ready_tasks()[0].id, {"ok": True})
        check = check_migration(v1, v2, inst.dump(), env)
        assert check.ok and check.changed_tasks == ["review"]
        moved = Instance.load(v2, migrate(v1, v2, inst.dump(), env), env)
        assert ready(moved) == ["approve"] and moved.data["ok"] is True


def test_a_removed_active_task_is_refused_naming_it(env):
    v1, v2 = compiled("v1.bpmn"), compiled("v2_removed.bpmn")
    with time_machine.travel(T0, tick=False):
        inst = Instance.start(v1, {}, env)
        check = check_migration(v1, v2, inst.dump(), env)
        assert not check.ok and "review" in check.reason and check.element_id == "review"
        with pytest.raises(Conflict) as info:
            migrate(v1, v2, inst.dump(), env)
        assert "'review'" in info.value.message


def test_a_changed_finished_task_is_refused(env):
    v1 = compiled("v1.bpmn")
    changed = (MODELS / "migration" / "v1.bpmn").read_bytes().replace(b'value="5 workdays"', b'value="7 workdays"')
    v2 = build_package({"v.bpmn": changed}).compile("mig")
    with time_machine.travel(T0, tick=False):
        inst = Instance.start(v1, {}, env)
        assert check_migration(v1, v2, inst.dump(), env).ok  # review is only READY: it may change
        inst.complete_task(inst.ready_tasks()[0].id, {})
        check = check_migration(v1, v2, inst.dump(), env)
        assert not check.ok and "extensions.properties.dueRule" in check.reason and check.element_id == "review"
