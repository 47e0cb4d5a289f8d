"""Running one process instance: the only place that touches BpmnWorkflow / SpiffTask objects.

Transaction rule: the engine mutates the in-memory workflow step by step, so when any method
raises `ProcessError` the Instance is *dirty* (half-advanced). Callers must discard it and roll
back their database transaction; a dirty Instance refuses further mutations and dumps.
`TaskNotAvailable`, `Conflict` and `InvalidSubmission` are raised *before* anything changes, so
the instance stays clean after those.
"""
from __future__ import annotations

import copy
from contextlib import contextmanager
from datetime import datetime, timedelta, timezone
from uuid import UUID

from jinja2.sandbox import SandboxedEnvironment
from SpiffWorkflow.bpmn import BpmnEvent
from SpiffWorkflow.bpmn.exceptions import WorkflowTaskException
from SpiffWorkflow.bpmn.specs.event_definitions.timer import (CycleTimerEventDefinition,
                                                              DurationTimerEventDefinition,
                                                              TimeDateEventDefinition,
                                                              TimerEventDefinition)
from SpiffWorkflow.bpmn.specs.mixins.events.end_event import EndEvent as EndEventMixin
from SpiffWorkflow.bpmn.specs.mixins.events.intermediate_event import BoundaryEvent as BoundaryEventMixin
from SpiffWorkflow.bpmn.specs.mixins.manual_task import ManualTask as ManualTaskMixin
from SpiffWorkflow.bpmn.specs.mixins.user_task import UserTask as UserTaskMixin
from SpiffWorkflow.bpmn.workflow import BpmnWorkflow
from SpiffWorkflow.exceptions import SpiffWorkflowException, WorkflowException
from SpiffWorkflow.spiff.specs.event_definitions import MessageEventDefinition as SpiffMessageEventDefinition
from SpiffWorkflow.util.deep_merge import DeepMerge
from SpiffWorkflow.util.task import TaskState

from app import clock
from app.errors import CalendarNotCovered, Conflict, InvalidSubmission, ProcessError, TaskNotAvailable

from . import serializer
from .package import CompiledProcess
from .records import HistoryEntry, ReadyTask, TaskInfo, WaitingTimer
from .script_env import ScriptEnvironment

MAX_ADVANCE_ITERATIONS = 1000
HUMAN_TASK_CLASSES = (UserTaskMixin, ManualTaskMixin)
_JINJA = SandboxedEnvironment(autoescape=False)  # plain text: the web layer escapes on output


def render_instructions(template: str | None, data: dict) -> str | None:
    if not template:
        return template
    try:
        return _JINJA.from_string(template).render(**data)
    except Exception:  # noqa: BLE001 - model authors' templates must never break a task list
        return template


def _element_id(task) -> str:
    spec = getattr(task, "task_spec", None)
    return (getattr(spec, "bpmn_id", None) or getattr(spec, "name", "") or "") if spec else ""


def _all_tasks(workflow, **kwargs):
    """Every task. NB: SpiffWorkflow's iterator prunes below tasks whose state is lower than the
    filter's: get_tasks(state=COMPLETED) misses COMPLETED tasks under a WAITING parent (e.g. the
    branch spawned by a non-interrupting cycle timer). So: iterate everything, filter here."""
    return workflow.get_tasks(state=TaskState.ANY_MASK, **kwargs)


def _element_from_traceback(exc: BaseException) -> str:
    """Bare exceptions (e.g. an invalid timer value) carry no task; SpiffWorkflow's spec methods
    take the task as `my_task`, so the innermost frame holding one names the failing element."""
    from SpiffWorkflow.task import Task
    tb, found = exc.__traceback__, ""
    while tb is not None:
        candidate = tb.tb_frame.f_locals.get("my_task")
        if isinstance(candidate, Task) and candidate.task_spec.bpmn_id:
            found = candidate.task_spec.bpmn_id
        tb = tb.tb_next
    return found


def _human(task) -> bool:
    return isinstance(task.task_spec, HUMAN_TASK_CLASSES)


def _check_form_data(data, helper_names: set[str], what: str) -> dict:
    if not isinstance(data, dict):
        raise InvalidSubmission({"": [f"{what} must be an object"]})
    errors: dict[str, list[str]] = {}

    def walk(v, path):
        if isinstance(v, dict):
            for k, x in v.items():
                p = f"{path}.{k}" if path else str(k)
                if not isinstance(k, str):
                    errors.setdefault(p, []).append("keys must be strings")
                elif k == "typename":
                    errors.setdefault(p, []).append("'typename' is a reserved name")
                walk(x, p)
        elif isinstance(v, list):
            for i, x in enumerate(v):
                walk(x, f"{path}[{i}]")
    walk(data, "")
    for k in data:
        if k in helper_names:
            errors.setdefault(k, []).append(f"'{k}' is the name of a script helper and cannot be a field")
    if errors:
        raise InvalidSubmission(errors)
    return copy.deepcopy(data)


def _calendar_gap(exc: BaseException) -> CalendarNotCovered | None:
    """The CalendarNotCovered a script helper raised (SpiffWorkflow wraps it), so the caller can say
    which year must be loaded instead of reporting a generic process error."""
    seen = 0
    while exc is not None and seen < 10:
        if isinstance(exc, CalendarNotCovered):
            return exc
        exc = exc.__cause__ or exc.__context__
        seen += 1
    return None


class Instance:
    """One running process instance (wraps a SpiffWorkflow BpmnWorkflow)."""

    def __init__(self, compiled: CompiledProcess, workflow: BpmnWorkflow, env: ScriptEnvironment):
        self.compiled = compiled
        self.workflow = workflow
        self.env = env
        self.dirty = False

    # -- construction / persistence ----------------------------------------------------------
    @classmethod
    def start(cls, compiled: CompiledProcess, data: dict, env: ScriptEnvironment) -> "Instance":
        data = _check_form_data(data or {}, env.helper_names, "initial data")
        specs = serializer.specs_for_instance(compiled)
        wf = BpmnWorkflow(specs.spec, specs.subprocess_specs, script_engine=env.script_engine)
        wf.task_tree.data.update(data)  # wf.data is not visible to tasks (Pitfall 18)
        inst = cls(compiled, wf, env)
        inst.advance()
        return inst

    @classmethod
    def load(cls, compiled: CompiledProcess, state_json: str, env: ScriptEnvironment) -> "Instance":
        try:
            wf = serializer.load_state(compiled, state_json, env)
        except ProcessError:
            raise
        except Exception as e:  # noqa: BLE001
            raise ProcessError(f"cannot load the instance state: {type(e).__name__}: {e}") from e
        return cls(compiled, wf, env)

    def dump(self) -> str:
        self._require_clean()
        return serializer.dump_state(self.workflow)

    # -- engine calls ------------------------------------------------------------------------
    def _require_clean(self):
        if self.dirty:
            raise ProcessError("this instance failed earlier and may be half-advanced; reload it")

    @contextmanager
    def _engine(self, what: str):
        self._require_clean()
        try:
            yield
        except (TaskNotAvailable, Conflict, InvalidSubmission):
            raise
        except ProcessError:
            self.dirty = True
            raise
        except WorkflowTaskException as e:
            self.dirty = True
            uncovered = _calendar_gap(e)
            if uncovered is not None:  # a deadline would fall in a year whose holidays are not loaded
                raise uncovered from e
            raise ProcessError(f"{what} failed at {_element_id(e.task) or '?'}: {e}",
                               element_id=_element_id(e.task),
                               error_type=getattr(e, "error_type", ""),
                               line_number=getattr(e, "line_number", None)) from e
        except WorkflowException as e:
            self.dirty = True
            ts = getattr(e, "task_spec", None)
            eid = (getattr(ts, "bpmn_id", None) or getattr(ts, "name", "")) if ts else ""
            raise ProcessError(f"{what} failed{' at ' + eid if eid else ''}: {e}", element_id=eid or "") from e
        except (SpiffWorkflowException, Exception) as e:  # noqa: BLE001 - bare errors escape from timers etc.
            self.dirty = True
            eid = _element_from_traceback(e) or self._last_active_element()
            raise ProcessError(f"{what} failed{' at ' + eid if eid else ''}: {type(e).__name__}: {e}",
                               element_id=eid) from e

    def _last_active_element(self) -> str:
        try:
            for t in _all_tasks(self.workflow):
                if t.state in (TaskState.ERROR, TaskState.READY, TaskState.STARTED) and t.task_spec.bpmn_id:
                    return t.task_spec.bpmn_id
        except Exception:  # noqa: BLE001
            pass
        return ""

    def advance(self) -> None:
        """Run timers and engine tasks until only human tasks / waits remain (Pitfall 3)."""
        with self._engine("advancing the process"):
            self._advance()

    def _advance(self) -> None:
        wf = self.workflow
        for _ in range(MAX_ADVANCE_ITERATIONS):
            wf.refresh_timers()
            wf.do_engine_steps()
            if wf.get_next_task(state=TaskState.READY, manual=False) is None:
                return
        raise ProcessError(f"the process did not settle after {MAX_ADVANCE_ITERATIONS} engine rounds "
                           f"(endless loop or timer storm?)", element_id=self._last_active_element())

    def fire_timer(self, spec_id: str) -> None:
        """Make one waiting timer due now and advance: a dry run steps through timers without waiting
        for the clock. TaskNotAvailable when no timer with that element id is waiting."""
        with self._engine(f"firing the timer {spec_id}"):
            for t in list(self.workflow.event_manager.tasks.values()):
                ev = getattr(t.task_spec, "event_definition", None)
                value = t.internal_data.get("event_value")
                if (t.task_spec.bpmn_id != spec_id or not isinstance(ev, TimerEventDefinition)
                        or t.state != TaskState.WAITING or value is None):
                    continue
                past = (clock.now() - timedelta(seconds=1)).isoformat()
                t.internal_data["event_value"] = {**value, "next": past} if isinstance(
                    ev, CycleTimerEventDefinition) else past
                self._advance()
                return
            raise TaskNotAvailable(f"timer {spec_id!r} is not waiting")

    # -- queries -----------------------------------------------------------------------------
    def _process_id(self, task) -> str:
        wf = task.workflow
        while wf.spec.name not in self.compiled.bpmn_process_ids and getattr(wf, "parent_workflow", None) is not None:
            wf = wf.parent_workflow
        return wf.spec.name

    def _find(self, task_id: str):
        try:
            uid = task_id if isinstance(task_id, UUID) else UUID(str(task_id))
        except (ValueError, TypeError, AttributeError):
            return None
        try:
            return self.workflow.get_task_from_id(uid)
        except Exception:  # noqa: BLE001 - TaskNotFoundException
            return None

    def ready_tasks(self) -> list[ReadyTask]:
        out = []
        for t in self.workflow.get_tasks(state=TaskState.READY, manual=True):
            if not _human(t):
                continue
            ext = getattr(t.task_spec, "extensions", None) or {}
            data = copy.deepcopy(t.data)
            out.append(ReadyTask(
                id=str(t.id), spec_id=t.task_spec.bpmn_id, name=t.task_spec.bpmn_name or t.task_spec.bpmn_id,
                lane=t.task_spec.lane, process_id=self._process_id(t),
                properties={str(k): str(v) for k, v in (ext.get("properties") or {}).items()},
                instructions=render_instructions(ext.get("instructionsForEndUser"), data), data=data))
        return out

    def get_task(self, task_id: str) -> TaskInfo | None:
        t = self._find(task_id)
        if t is None:
            return None
        return TaskInfo(id=str(t.id), spec_id=_element_id(t), name=t.task_spec.bpmn_name or _element_id(t),
                        lane=getattr(t.task_spec, "lane", None), process_id=self._process_id(t),
                        state=TaskState.get_name(t.state), is_human=_human(t))

    # -- commands ----------------------------------------------------------------------------
    def complete_task(self, task_id: str, data: dict) -> None:
        """Complete a READY human task with form data. Raises TaskNotAvailable if the task is
        unknown, not a user/manual task, or no longer READY (Pitfall 2: Spiff would happily
        turn a CANCELLED task into COMPLETED)."""
        self._require_clean()
        t = self._find(task_id)
        if t is None or not _human(t) or t.state != TaskState.READY:
            state = TaskState.get_name(t.state) if t is not None else "unknown"
            raise TaskNotAvailable("this task is no longer available", task_id=str(task_id), state=state)
        data = _check_form_data(data or {}, self.env.helper_names, "form data")
        with self._engine(f"completing {t.task_spec.bpmn_id}"):
            if hasattr(t.task_spec, "add_data_from_form"):
                t.task_spec.add_data_from_form(t, data)
            else:
                DeepMerge.merge(t.data, data)
            t.run()
            self._advance()

    def update_data(self, values: dict) -> None:
        """Set `values` on the data of every READY and WAITING task (active subprocesses included), so
        whatever runs next sees them, and on the task `data` reads from, so the snapshot agrees at once.
        For administrative corrections (re-routing a misrouted case: `handling_org`). Other completed
        tasks are untouched; a finished instance cannot change (Conflict)."""
        self._require_clean()
        if self.workflow.is_completed():
            raise Conflict("the process has finished; its data can no longer change")
        values = _check_form_data(values, self.env.helper_names, "data")
        touched = set()
        for t in _all_tasks(self.workflow):
            if t.state in (TaskState.READY, TaskState.WAITING):
                t.data.update(copy.deepcopy(values))
                touched.add(t.id)
        current = self._current_data_task()
        if current is not None and current.id not in touched:
            current.data.update(copy.deepcopy(values))

    def send_message(self, name: str, payload: dict) -> None:
        """Deliver an external message (e.g. complaint_withdrawn). Conflict if nothing waits for it."""
        self._require_clean()
        if name not in self.waiting_messages():
            raise Conflict(f"the process is not waiting for message {name!r}", message_name=name)
        payload = copy.deepcopy(payload)
        with self._engine(f"delivering message {name}"):
            self.workflow.send_event(BpmnEvent(SpiffMessageEventDefinition(name), payload=payload))
            self._advance()

    def waiting_messages(self) -> list[str]:
        names = [e.name for e in self.workflow.waiting_events() if e.event_type == "MessageEventDefinition"]
        return list(dict.fromkeys(names))

    def waiting_timers(self) -> list[WaitingTimer]:
        out = []
        for t in list(self.workflow.event_manager.tasks.values()):
            ts = t.task_spec
            ev = getattr(ts, "event_definition", None)
            if not isinstance(ev, TimerEventDefinition) or t.state != TaskState.WAITING:
                continue
            val = t.internal_data.get("event_value")
            if val is None:
                continue
            cycles_left = None
            if isinstance(ev, CycleTimerEventDefinition):
                kind = "cycle"
                if val.get("cycles") == 0:
                    continue
                due = datetime.fromisoformat(val["next"])
                cycles_left = val["cycles"] if val.get("cycles", -1) >= 0 else None
            else:
                kind = "date" if isinstance(ev, TimeDateEventDefinition) else (
                    "duration" if isinstance(ev, DurationTimerEventDefinition) else "date")
                due = TimerEventDefinition.get_datetime(val)
            if due.tzinfo is None:
                due = due.replace(tzinfo=timezone.utc)
            attached = None
            if isinstance(ts, BoundaryEventMixin):
                split = ts.inputs[0] if ts.inputs else None
                for sibling in (split.outputs if split is not None else []):
                    if not isinstance(sibling, BoundaryEventMixin):
                        attached = sibling.bpmn_id
                        break
            out.append(WaitingTimer(task_id=str(t.id), spec_id=ts.bpmn_id, kind=kind,
                                    due_at=due.astimezone(timezone.utc), attached_to=attached,
                                    cycles_left=cycles_left))
        return sorted(out, key=lambda w: (w.due_at, w.spec_id))

    def next_timer_at(self) -> datetime | None:
        timers = self.waiting_timers()
        return timers[0].due_at if timers else None

    def drain_events(self) -> list[dict]:
        """Signals/messages thrown with no internal catcher since the last drain. Drain before
        dump(): undrained events are persisted with the state and come out again after load."""
        out = []
        for ev in self.workflow.get_events():
            cls = type(ev.event_definition).__name__
            kind = cls.replace("EventDefinition", "").lower() or cls
            out.append({"type": kind, "name": getattr(ev.event_definition, "name", None),
                        "payload": copy.deepcopy(ev.payload)})
        return out

    def history(self) -> list[HistoryEntry]:
        out = []
        for t in _all_tasks(self.workflow):
            if t.state not in (TaskState.COMPLETED, TaskState.CANCELLED):
                continue
            ts = t.task_spec
            if isinstance(ts, HUMAN_TASK_CLASSES):
                kind = "task"
            elif isinstance(ts, EndEventMixin) and t.state == TaskState.COMPLETED:
                kind = "end"
            else:
                continue
            out.append(HistoryEntry(
                task_id=str(t.id), spec_id=ts.bpmn_id, name=ts.bpmn_name or ts.bpmn_id, lane=ts.lane,
                process_id=self._process_id(t), state=TaskState.get_name(t.state),
                last_state_change=datetime.fromtimestamp(t.last_state_change, tz=timezone.utc), kind=kind))
        return sorted(out, key=lambda h: h.last_state_change)

    @property
    def is_completed(self) -> bool:
        return self.workflow.is_completed()

    @property
    def data(self) -> dict:
        wf = self.workflow
        if wf.is_completed():
            return copy.deepcopy(wf.data)
        # The most recently completed BPMN element (Spiff's own helper tasks such as
        # BoundaryEventJoin complete later with stale data, so `workflow.last_task` is not usable).
        # Finished subprocesses are skipped: their data already flowed out. Ties (same engine
        # step, or a frozen clock) go to the deeper subprocess, then the deeper task in the tree.
        best = self._current_data_task()
        return copy.deepcopy(best.data if best is not None else wf.task_tree.data)

    def _current_data_task(self):
        """The task whose data `data` reports for a running instance (None before any step)."""
        best, best_key = None, None
        for w in [self.workflow, *self.workflow.get_active_subprocesses()]:
            for t in _all_tasks(w, skip_subprocesses=True):
                if t.state != TaskState.COMPLETED or not t.task_spec.bpmn_id:
                    continue
                key = (t.last_state_change, w.depth, t.depth)
                if best_key is None or key > best_key:
                    best, best_key = t, key
        return best

    def element_states(self) -> dict[str, str]:
        rank = {"completed": 0, "waiting": 1, "ready": 2}
        out: dict[str, str] = {}
        for t in _all_tasks(self.workflow):
            bpmn_id = t.task_spec.bpmn_id
            if not bpmn_id or t.state not in (TaskState.COMPLETED, TaskState.READY, TaskState.WAITING, TaskState.STARTED):
                continue
            if t.state == TaskState.COMPLETED:
                s = "completed"
            elif t.state == TaskState.READY:
                s = "ready"
            else:
                s = "waiting"
            if bpmn_id not in out or rank[s] > rank[out[bpmn_id]]:
                out[bpmn_id] = s
        return out
