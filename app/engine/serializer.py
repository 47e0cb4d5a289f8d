"""JSON persistence: the spec once per definition version, the state once per instance.

* `dump_spec(compiled)` -> JSON of the top spec + all subprocess specs (store with the definition
  version). It is a *cache* derivable from the BPMN source: after a SpiffWorkflow upgrade that
  changes SERIALIZER_VERSION, rebuild it from the stored BPMN (`load_spec` refuses other versions).
* `dump_state(instance)` -> JSON of the instance state only (tasks, data, subprocesses, pending
  outgoing events) with `serializer_version`; no spec.
* `load_state(compiled, state_json, env)` -> BpmnWorkflow bound to the compiled specs, with the
  serializer's migrations applied and the restricted script engine attached.

Spec objects from `load_spec` are cached per key and shared between instances. That is only safe
without event subprocesses (SpiffWorkflow mutates the spec when one triggers; lint refuses them);
should a compiled process contain one anyway, each instance gets a private copy.

Task data must be JSON-like (dict/list/str/int/float/bool/None; datetime/timedelta are tolerated
by SpiffWorkflow). `Decimal`, `date`, sets of objects etc. are refused with a clear ProcessError:
the modelling convention is decimal strings and ISO date strings.
"""
from __future__ import annotations

import json
import threading
from collections import OrderedDict
from typing import Any
from uuid import UUID

from SpiffWorkflow.bpmn.serializer.default.workflow import BpmnWorkflowConverter, WorkflowConverter
from SpiffWorkflow.bpmn.serializer.workflow import VERSION as SPIFF_SERIALIZER_VERSION
from SpiffWorkflow.bpmn.serializer.workflow import BpmnWorkflowSerializer
from SpiffWorkflow.bpmn.workflow import BpmnWorkflow
from SpiffWorkflow.spiff.serializer.config import SPIFF_CONFIG

from app.errors import ProcessError

from .package import CompiledProcess

SERIALIZER_VERSION = SPIFF_SERIALIZER_VERSION  # "1.5" for SpiffWorkflow 3.2.0
VERSION_KEY = BpmnWorkflowSerializer.VERSION_KEY  # "serializer_version"
STATE_FORMAT = "lvyue-state-1"
SPEC_FORMAT = "lvyue-spec-1"
SPEC_CACHE_SIZE = 128


class _StateOnlyWorkflowConverter(BpmnWorkflowConverter):
    """Like BpmnWorkflowConverter, but never writes (or converts) the specs."""

    def to_dict(self, workflow):
        dct = WorkflowConverter.to_dict(self, workflow)
        dct["subprocesses"] = self.mapping_to_dict(workflow.subprocesses)
        dct["bpmn_events"] = self.registry.convert(workflow.bpmn_events)
        return dct

    def from_dict_with_specs(self, dct, spec, subprocess_specs):
        workflow = self.target_class(spec, subprocess_specs, deserializing=True)
        workflow.tasks = self.mapping_from_dict(dct["tasks"], UUID, workflow=workflow)
        workflow.task_tree = workflow.tasks.get(UUID(dct["root"]))
        self.set_default_attributes(workflow, dct)
        self.subprocesses_from_dict(dct["subprocesses"], workflow)
        workflow.bpmn_events = self.registry.restore(dct.pop("bpmn_events", []))
        return workflow

    def from_dict(self, dct):  # pragma: no cover - always called through load_state
        raise TypeError("state-only workflow documents need their specs: use load_state()")


_REGISTRY = BpmnWorkflowSerializer.configure(SPIFF_CONFIG)
_WF_CONVERTER = _StateOnlyWorkflowConverter(BpmnWorkflow, _REGISTRY)  # registers itself for BpmnWorkflow
_SERIALIZER = BpmnWorkflowSerializer(_REGISTRY)

# The registry's `_encoder_mode` flag is global state: serialize under one lock.
_convert_lock = threading.RLock()

_spec_cache: "OrderedDict[str, CompiledProcess]" = OrderedDict()
_spec_lock = threading.Lock()


# -- specs ---------------------------------------------------------------------------------------
def dump_spec(compiled: CompiledProcess) -> str:
    with _convert_lock:
        return json.dumps({
            "format": SPEC_FORMAT,
            VERSION_KEY: SERIALIZER_VERSION,
            "process_id": compiled.process_id,
            "bpmn_process_ids": sorted(compiled.bpmn_process_ids),
            "event_subprocess": compiled.has_event_subprocess,
            "spec": _REGISTRY.convert(compiled.spec),
            "subprocess_specs": {k: _REGISTRY.convert(v) for k, v in compiled.subprocess_specs.items()},
        })


def _restore_spec(dct: dict) -> CompiledProcess:
    if dct.get("format") != SPEC_FORMAT or dct.get(VERSION_KEY) != SERIALIZER_VERSION:
        raise ProcessError(
            f"stored spec has format {dct.get('format')!r} / serializer version {dct.get(VERSION_KEY)!r}; "
            f"this build needs {SPEC_FORMAT!r} / {SERIALIZER_VERSION!r}: rebuild it from the BPMN source")
    return CompiledProcess(
        process_id=dct["process_id"],
        spec=_REGISTRY.restore(dct["spec"]),
        subprocess_specs={k: _REGISTRY.restore(v) for k, v in dct["subprocess_specs"].items()},
        bpmn_process_ids=frozenset(dct.get("bpmn_process_ids") or [dct["process_id"]]),
        event_subprocess=bool(dct.get("event_subprocess")),
    )


def load_spec(spec_json: str, cache_key: str) -> CompiledProcess:
    """Restore a compiled process from `dump_spec` output, cached per `cache_key` (e.g. the
    definition version id; the JSON for one key must never change)."""
    with _spec_lock:
        hit = _spec_cache.get(cache_key)
        if hit is not None:
            _spec_cache.move_to_end(cache_key)
            return hit
    compiled = _restore_spec(json.loads(spec_json))
    with _spec_lock:
        _spec_cache[cache_key] = compiled
        while len(_spec_cache) > SPEC_CACHE_SIZE:
            _spec_cache.popitem(last=False)
    return compiled


def clear_spec_cache() -> None:
    with _spec_lock:
        _spec_cache.clear()


def _copy_spec(spec):
    # NB: registry.restore(registry.convert(spec)) is NOT a copy: the converter puts the spec's
    # own `_inputs`/`_outputs` lists into the dict and restore() adopts them, so the "copy"
    # shares its connections with the original. Going through JSON breaks that sharing.
    return _REGISTRY.restore(json.loads(json.dumps(_REGISTRY.convert(spec))))


def private_copy(compiled: CompiledProcess) -> CompiledProcess:
    """A deep copy of the specs (via JSON, ~1 ms)."""
    with _convert_lock:
        return CompiledProcess(
            compiled.process_id, _copy_spec(compiled.spec),
            {k: _copy_spec(v) for k, v in compiled.subprocess_specs.items()},
            compiled.bpmn_process_ids, compiled.event_subprocess,
        )


def specs_for_instance(compiled: CompiledProcess) -> CompiledProcess:
    return private_copy(compiled) if compiled.has_event_subprocess else compiled


# -- state ---------------------------------------------------------------------------------------
_JSON_SCALARS = (str, int, float, bool, type(None))


def _find_bad_value(value: Any, path: str) -> tuple[str, str] | None:
    from datetime import datetime, timedelta
    if isinstance(value, _JSON_SCALARS) or isinstance(value, (datetime, timedelta)):
        return None
    if isinstance(value, dict):
        if "typename" in value:
            return f"{path}.typename" if path else "typename", "reserved key 'typename'"
        for k, v in value.items():
            if not isinstance(k, str):
                return f"{path}[{k!r}]", f"non-string key of type {type(k).__name__}"
            bad = _find_bad_value(v, f"{path}.{k}" if path else k)
            if bad:
                return bad
        return None
    if isinstance(value, (list, tuple)):
        for i, v in enumerate(value):
            bad = _find_bad_value(v, f"{path}[{i}]")
            if bad:
                return bad
        return None
    if callable(value):
        return None  # dropped by SpiffWorkflow's registry.clean
    return path, f"value of type {type(value).__name__}"


def check_data(data: dict, where: str = "") -> None:
    """Raise ProcessError if `data` holds a value we cannot persist."""
    bad = _find_bad_value(data, "")
    if bad:
        path, what = bad
        raise ProcessError(
            f"task data {path!r} holds a {what}, which cannot be stored; use JSON values "
            f"(decimal strings for money, ISO strings for dates){' (' + where + ')' if where else ''}",
            element_id=where)


def _workflow(instance_or_workflow) -> BpmnWorkflow:
    return getattr(instance_or_workflow, "workflow", instance_or_workflow)


def dump_state(instance) -> str:
    """State-only JSON of an `Instance` (or a bare BpmnWorkflow)."""
    wf = _workflow(instance)
    try:
        with _convert_lock:
            _REGISTRY._encoder_mode = True  # as BpmnWorkflowSerializer.serialize_json does
            try:
                dct = _WF_CONVERTER.to_dict(wf)
                dct["format"] = STATE_FORMAT
                dct[VERSION_KEY] = SERIALIZER_VERSION
                dct["process_id"] = wf.spec.name
                return json.dumps(dct, cls=_SERIALIZER._encoder_cls)
            finally:
                _REGISTRY._encoder_mode = False
    except (TypeError, ValueError) as e:
        for task in wf.get_tasks():
            bad = _find_bad_value(task.data, "")
            if bad:
                check_data(task.data, task.task_spec.bpmn_id or task.task_spec.name)
        bad = _find_bad_value(wf.data, "")
        if bad:
            check_data(wf.data, "workflow")
        raise ProcessError(f"cannot serialize the instance state: {e}") from e


def load_state(compiled: CompiledProcess, state_json: str | bytes, env) -> BpmnWorkflow:
    """Rebuild the workflow from `dump_state` output and attach env's script engine."""
    dct = json.loads(state_json)
    if dct.pop("format", None) != STATE_FORMAT:
        raise ProcessError("not an instance state document (missing or unknown format)")
    stored_pid = dct.pop("process_id", None)
    if stored_pid is not None and stored_pid != compiled.process_id:
        raise ProcessError(f"state belongs to process {stored_pid!r}, not {compiled.process_id!r}")
    version = dct.get(VERSION_KEY)
    if version != SERIALIZER_VERSION:
        # Spiff's migrations also rewrite spec dicts, so give them ours and throw them away afterwards.
        with _convert_lock:
            dct["spec"] = _REGISTRY.convert(compiled.spec)
            dct["subprocess_specs"] = {k: _REGISTRY.convert(v) for k, v in compiled.subprocess_specs.items()}
        _SERIALIZER.migrate(dct)
        dct.pop("spec", None)
        dct.pop("subprocess_specs", None)
    else:
        dct.pop(VERSION_KEY, None)  # what migrate() would do
    specs = specs_for_instance(compiled)
    wf = _WF_CONVERTER.from_dict_with_specs(dct, specs.spec, specs.subprocess_specs)
    wf.script_engine = env.script_engine
    return wf
