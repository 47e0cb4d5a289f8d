"""Model versions: what changed between two compiled processes, and moving running instances.

* `diff_versions(old, new)` -> `VersionDiff`: added / removed / changed BPMN elements (by bpmn id)
  over the main process and every subprocess, with the changed attributes.
* `check_migration(old, new, state_json, env)` -> `MigrationCheck`: may this instance move? Our
  policy on top of SpiffWorkflow's diff (SPIFFWORKFLOW-NOTES §7):
  - a COMPLETED/STARTED task whose element was removed, or changed in anything but its
    connections, label, documentation or end-user instructions, refuses the move;
  - a READY/WAITING task whose element was removed refuses the move (work or a deadline would vanish);
  - a running subprocess whose process is gone refuses the move;
  - otherwise the move is tried on a throw-away copy; any engine error refuses it, naming the element.
* `migrate(old, new, state_json, env)` -> new state JSON (or `migrate_instance` on a loaded Instance).
  SpiffWorkflow resets and re-predicts READY/WAITING tasks, which would re-evaluate their timers
  (cycles and durations restart). We put back every waiting timer's computed due time
  (`internal_data['event_value']`, matched by task id, else by element id) and the data of the
  READY/WAITING tasks, so deadlines and reminder cycles carry on exactly where they were.
"""
from __future__ import annotations

import copy
from dataclasses import asdict, dataclass, field

from SpiffWorkflow.bpmn.specs.event_definitions.timer import TimerEventDefinition
from SpiffWorkflow.bpmn.util.diff import SpecDiff, diff_workflow, migrate_workflow
from SpiffWorkflow.util.task import TaskState

from app.errors import Conflict

from . import serializer
from .package import CompiledProcess
from .runner import Instance
from .script_env import ScriptEnvironment

# attributes a finished (COMPLETED/STARTED) task's element may change without blocking a move
SAFE_FOR_FINISHED = frozenset({"inputs", "outputs", "bpmn_name", "documentation"})
SAFE_EXTENSION_KEYS = frozenset({"instructionsForEndUser"})
FINISHED = TaskState.COMPLETED | TaskState.STARTED
ACTIVE = TaskState.READY | TaskState.WAITING


@dataclass
class ElementDiff:
    process_id: str  # spec name: a <bpmn:process> id or an embedded subprocess element id
    element_id: str
    name: str
    kind: str  # SpiffWorkflow spec type, e.g. UserTask, BoundaryEvent
    attributes: list[str] = field(default_factory=list)  # changed attributes (changed elements only)
    new_element_id: str | None = None  # when aligned by structure to an element with another id


@dataclass
class VersionDiff:
    added: list[ElementDiff] = field(default_factory=list)
    removed: list[ElementDiff] = field(default_factory=list)
    changed: list[ElementDiff] = field(default_factory=list)
    added_processes: list[str] = field(default_factory=list)
    removed_processes: list[str] = field(default_factory=list)

    @property
    def is_empty(self) -> bool:
        return not (self.added or self.removed or self.changed or self.added_processes or self.removed_processes)

    def as_dict(self) -> dict:
        return asdict(self)


@dataclass
class MigrationCheck:
    ok: bool
    reason: str = ""
    changed_tasks: list[str] = field(default_factory=list)  # element ids of this instance's tasks that changed
    element_id: str = ""  # the element the refusal is about


# -- spec diff -----------------------------------------------------------------------------------
def _convert(spec) -> dict:
    with serializer._convert_lock:
        return serializer._REGISTRY.convert(spec)


def _detailed_changes(old_ts, new_ts, attributes: list[str]) -> list[str]:
    """Spiff reports `extensions` as one attribute; split it into the keys that changed."""
    out = []
    for attr in attributes:
        if attr != "extensions":
            out.append(attr)
            continue
        a = getattr(old_ts, "extensions", None) or {}
        b = getattr(new_ts, "extensions", None) or {}
        for key in sorted(set(a) | set(b)):
            if key == "properties" and isinstance(a.get(key), dict) and isinstance(b.get(key), dict):
                pa, pb = a[key], b[key]
                out.extend(f"extensions.properties.{k}" for k in sorted(set(pa) | set(pb)) if pa.get(k) != pb.get(k))
            elif a.get(key) != b.get(key):
                out.append(f"extensions.{key}")
    return out


def _element(process_id: str, ts, attributes=None, new_ts=None) -> ElementDiff:
    new_id = getattr(new_ts, "bpmn_id", None) if new_ts is not None else None
    return ElementDiff(process_id=process_id, element_id=ts.bpmn_id, name=ts.bpmn_name or "",
                       kind=type(ts).__name__, attributes=list(attributes or []),
                       new_element_id=new_id if new_id and new_id != ts.bpmn_id else None)


def _spec_diff(old_spec, new_spec) -> SpecDiff:
    with serializer._convert_lock:
        return SpecDiff(serializer._REGISTRY, old_spec, new_spec)


def _specs(compiled: CompiledProcess) -> dict:
    return {compiled.process_id: compiled.spec,
            **{k: v for k, v in compiled.subprocess_specs.items() if v is not None}}


def diff_versions(old: CompiledProcess, new: CompiledProcess) -> VersionDiff:
    """Added / removed / changed BPMN elements (engine-internal helper specs are left out)."""
    result = VersionDiff()
    old_specs, new_specs = _specs(old), _specs(new)
    for name in sorted(set(old_specs) | set(new_specs)):
        a, b = old_specs.get(name), new_specs.get(name)
        if a is None:
            result.added_processes.append(name)
            result.added += [_element(name, ts) for ts in b.task_specs.values() if ts.bpmn_id]
            continue
        if b is None:
            result.removed_processes.append(name)
            result.removed += [_element(name, ts) for ts in a.task_specs.values() if ts.bpmn_id]
            continue
        sd = _spec_diff(a, b)
        result.added += [_element(name, ts) for ts in sd.added if ts.bpmn_id]
        # SpecDiff only visits specs reachable from the start event: anything else is removed too
        unvisited = [ts for ts in a.task_specs.values() if ts not in sd.alignment and ts.name not in b.task_specs]
        result.removed += [_element(name, ts) for ts in [*sd.removed, *unvisited] if ts.bpmn_id]
        for ts, attrs in sd.changed.items():
            if ts.bpmn_id:
                new_ts = sd.alignment.get(ts)
                result.changed.append(_element(name, ts, _detailed_changes(ts, new_ts, attrs), new_ts))
    for group in (result.added, result.removed, result.changed):
        group.sort(key=lambda e: (e.process_id, e.element_id))
    return result


# -- instance migration ------------------------------------------------------------------------
def _label(task) -> str:
    ts = task.task_spec
    ident = ts.bpmn_id or ts.name
    return f"{ident!r}" + (f" ({ts.bpmn_name})" if ts.bpmn_name else "")


def _unsafe_changes(old_ts, new_ts, attributes: list[str]) -> list[str]:
    detailed = _detailed_changes(old_ts, new_ts, attributes)
    return [a for a in detailed
            if a not in SAFE_FOR_FINISHED and not (a.startswith("extensions.") and a[11:] in SAFE_EXTENSION_KEYS)]


def _policy(wf, new: CompiledProcess) -> tuple[MigrationCheck, tuple]:
    with serializer._convert_lock:
        top_diff, sp_diffs = diff_workflow(serializer._REGISTRY, wf, new.spec, new.subprocess_specs)
    changed = {t.task_spec.bpmn_id for d in [top_diff, *sp_diffs.values()] if d is not None
               for t in d.changed if t.task_spec.bpmn_id}
    changed_ids = sorted(changed)
    for sp_id, sp_diff in sp_diffs.items():
        sp = wf.subprocesses[sp_id]
        if sp_diff is None and not sp.is_completed():
            return MigrationCheck(False, f"the running subprocess {sp.spec.name!r} does not exist in the new version",
                                  changed_ids, sp.spec.name), (top_diff, sp_diffs)
    for diff in [top_diff, *sp_diffs.values()]:
        if diff is None:
            continue
        for task in diff.removed:
            state = TaskState.get_name(task.state)
            if task.state & (FINISHED | ACTIVE) and task.task_spec.bpmn_id:
                what = "finished" if task.state & FINISHED else "active"
                return MigrationCheck(False, f"the {what} task {_label(task)} ({state}) does not exist in the new version",
                                      changed_ids, task.task_spec.bpmn_id), (top_diff, sp_diffs)
        for task in diff.changed:
            if not task.state & FINISHED:
                continue
            new_ts = diff.alignment.get(task)
            attrs = _spec_diff_attrs(task.task_spec, new_ts)
            unsafe = _unsafe_changes(task.task_spec, new_ts, attrs)
            if unsafe:
                return MigrationCheck(
                    False, f"the {TaskState.get_name(task.state).lower()} task {_label(task)} changed in "
                           f"{', '.join(unsafe)}; a finished task may only change its label, documentation, "
                           f"instructions or connections", changed_ids, task.task_spec.bpmn_id), (top_diff, sp_diffs)
    return MigrationCheck(True, "", changed_ids), (top_diff, sp_diffs)


def _spec_diff_attrs(old_ts, new_ts) -> list[str]:
    if new_ts is None:
        return []
    a, b = _convert(old_ts), _convert(new_ts)
    if a.get("typename") != b.get("typename"):
        return ["typename"]
    return [k for k, v in a.items() if b.get(k) != v]


def _snapshot_active(wf) -> tuple[dict, dict, dict]:
    """READY/WAITING tasks' data (by id) and waiting timers' internal data (by id and by element)."""
    data, timers_by_id, timers_by_spec = {}, {}, {}
    for task in wf.get_tasks(state=TaskState.ANY_MASK):
        if not task.state & ACTIVE:
            continue
        data[task.id] = copy.deepcopy(task.data)
        ev = getattr(task.task_spec, "event_definition", None)
        if isinstance(ev, TimerEventDefinition) and "event_value" in task.internal_data:
            saved = (type(ev), copy.deepcopy(task.internal_data))
            timers_by_id[task.id] = saved
            timers_by_spec.setdefault((task.workflow.spec.name, task.task_spec.name), []).append(saved)
    return data, timers_by_id, timers_by_spec


def _restore_active(wf, snapshot) -> None:
    data, timers_by_id, timers_by_spec = snapshot
    for task in wf.get_tasks(state=TaskState.ANY_MASK):
        if not task.state & ACTIVE:
            continue
        if task.id in data:
            task.data = copy.deepcopy(data[task.id])
        ev = getattr(task.task_spec, "event_definition", None)
        if not isinstance(ev, TimerEventDefinition):
            continue
        saved = timers_by_id.get(task.id)
        if saved is None:
            same_spec = timers_by_spec.get((task.workflow.spec.name, task.task_spec.name)) or []
            saved = same_spec[0] if len(same_spec) == 1 else None
        if saved is not None and saved[0] is type(ev):  # a timer whose kind changed keeps its new value
            task.internal_data = copy.deepcopy(saved[1])


def _migrate_workflow(diff, workflow, spec, timer_types: dict) -> None:
    """SpiffWorkflow's migrate_workflow, except that a WAITING timer whose kind did not change is
    not reset: it keeps its internal data (due time, remaining cycles) and the branches a cycle
    already spawned (a reset would drop them, and with them the data they produced); only its
    predicted children are re-predicted from the new spec. Other WAITING tasks are reset."""
    migrate_workflow(diff, workflow, spec, reset_mask=TaskState.READY)
    waiting = [t for t in workflow.get_tasks(state=TaskState.ANY_MASK, skip_subprocesses=True)
               if t.state == TaskState.WAITING]
    for task in waiting:
        if task.id not in workflow.tasks:
            continue
        ev = getattr(task.task_spec, "event_definition", None)
        if isinstance(ev, TimerEventDefinition) and timer_types.get(task.id) is type(ev):
            for child in list(task.children):
                if child.state & TaskState.PREDICTED_MASK:
                    workflow._remove_task(child.id)
            task.task_spec._predict(task, mask=TaskState.PREDICTED_MASK)
        else:
            task.reset_branch(None)
    if workflow.last_task not in workflow.tasks:
        workflow.last_task = None


def _apply(wf, new: CompiledProcess, diffs) -> None:
    top_diff, sp_diffs = diffs
    specs = serializer.specs_for_instance(new)
    snapshot = _snapshot_active(wf)
    timer_types = {task_id: saved[0] for task_id, saved in snapshot[1].items()}
    _migrate_workflow(top_diff, wf, specs.spec, timer_types)
    for sp_id, sp in list(wf.subprocesses.items()):
        sp_diff = sp_diffs.get(sp_id)
        if sp_diff is not None:
            _migrate_workflow(sp_diff, sp, specs.subprocess_specs.get(sp.spec.name), timer_types)
    wf.subprocess_specs = specs.subprocess_specs
    _restore_active(wf, snapshot)


def _stale_specs(wf, new: CompiledProcess) -> str | None:
    """A task left pointing at an element the new version does not have (would not reload)."""
    names = set(_specs(new))
    for workflow in [wf, *wf.subprocesses.values()]:
        for task in workflow.tasks.values():
            if workflow.spec.name not in names or workflow.spec.task_specs.get(task.task_spec.name) is not task.task_spec:
                return f"the {TaskState.get_name(task.state).lower()} task {_label(task)} has no counterpart in the new version"
    return None


def _try(instance: Instance, new: CompiledProcess, check: MigrationCheck, diffs) -> Instance:
    """Migrate `instance`'s workflow in place (it is then bound to `new`), advance, reload-check."""
    wf = instance.workflow
    try:
        _apply(wf, new, diffs)
    except Exception as e:  # noqa: BLE001 - e.g. a new timer expression failing on this case's data
        raise Conflict(f"cannot move this case: {type(e).__name__}: {e}") from e
    stale = _stale_specs(wf, new)
    if stale:
        raise Conflict(f"cannot move this case: {stale}")
    moved = Instance(new, wf, instance.env)
    moved.advance()  # ProcessError names the element when a script of the new version fails
    Instance.load(new, moved.dump(), instance.env)  # the moved state must reload on the new version
    return moved


def check_instance(instance: Instance, new: CompiledProcess) -> MigrationCheck:
    """Policy + a trial move on a private copy (the given instance is not touched)."""
    scratch = Instance.load(instance.compiled, instance.dump(), instance.env)
    check, diffs = _policy(scratch.workflow, new)
    if not check.ok:
        return check
    try:
        _try(scratch, new, check, diffs)
    except Exception as e:  # noqa: BLE001 - Conflict / ProcessError / anything the engine raises
        element = getattr(e, "element_id", "") or (getattr(e, "details", None) or {}).get("element_id", "")
        return MigrationCheck(False, getattr(e, "message", "") or str(e), check.changed_tasks, element or "")
    return check


def migrate_instance(instance: Instance, new: CompiledProcess) -> Instance:
    """Move a loaded instance to `new` (raises Conflict with the reason when the policy refuses).
    The given Instance must be discarded afterwards; use the returned one."""
    instance._require_clean()
    check, diffs = _policy(instance.workflow, new)
    if not check.ok:
        raise Conflict(check.reason, element_id=check.element_id)
    instance.dirty = True  # from here on the old instance object is no longer valid
    return _try(instance, new, check, diffs)


def check_migration(compiled_old: CompiledProcess, compiled_new: CompiledProcess, state_json: str,
                    env: ScriptEnvironment) -> MigrationCheck:
    return check_instance(Instance.load(compiled_old, state_json, env), compiled_new)


def migrate(compiled_old: CompiledProcess, compiled_new: CompiledProcess, state_json: str,
            env: ScriptEnvironment) -> str:
    """New state JSON of the instance moved to `compiled_new` (Conflict when refused)."""
    return migrate_instance(Instance.load(compiled_old, state_json, env), compiled_new).dump()
