"""Read side for the case diagram: the BPMN files of the case's pinned definition version and,
per process, which elements are done, current and waiting.

Projections only: ready tasks (current), the task log (completed / cancelled user tasks) and the
timer projection (waiting timers, fired ones count as done). Element ids are placed into their
process, enclosing sub-processes and calling call activities by reading the stored BPMN XML
(immutable per definition version, so its outline is cached). Never the workflow state.
"""
from __future__ import annotations

import xml.etree.ElementTree as ET
from dataclasses import dataclass, field

from sqlalchemy import select
from sqlalchemy.orm import Session

from app.errors import NotFound
from app.models import Case, ProcessDefinition, ProcessInstance, ReadyTask, TaskLog, Timer

BPMN_NS = "http://www.omg.org/spec/BPMN/20100524/MODEL"
CONTAINERS = {"subProcess", "transaction", "adHocSubProcess"}


@dataclass(frozen=True)
class ProcessOutline:
    """What the highlighting needs to know about one process of a definition version."""

    id: str
    name: str
    file: str
    parents: dict[str, tuple[str, ...]]  # element id -> enclosing sub-process ids, innermost first
    calls: dict[str, str]  # call activity id -> called process id
    start_events: dict[str, str]  # start event id -> id of its container (process id or sub-process id)


@dataclass(frozen=True)
class DefinitionOutline:
    root: str
    processes: dict[str, ProcessOutline]  # in diagram order: root first, then as called (depth first)

    def callers(self, process_id: str) -> list[tuple[str, str]]:
        """(process id, call activity id) of every call activity that calls `process_id`."""
        return [(p.id, act) for p in self.processes.values() for act, called in p.calls.items() if called == process_id]

    def homes(self, element_id: str) -> list[str]:
        """The processes that hold an element with this id (usually one)."""
        return [p.id for p in self.processes.values() if element_id in p.parents]


@dataclass
class Marks:
    completed: set[str] = field(default_factory=set)
    cancelled: set[str] = field(default_factory=set)
    current: set[str] = field(default_factory=set)
    waiting: set[str] = field(default_factory=set)

    def touched(self) -> bool:
        return bool(self.completed or self.cancelled or self.current or self.waiting)


def _local(tag: str) -> str:
    return tag.rsplit("}", 1)[-1]


def _parse(xml: str, filename: str) -> ET.Element:
    # The file passed the hardened parser when it was deployed (no DOCTYPE, size limit); check the
    # DOCTYPE again so the stdlib parser never sees an entity declaration.
    if "<!DOCTYPE" in xml[:4096].upper():
        raise NotFound(f"diagram {filename} cannot be shown")
    return ET.fromstring(xml.encode("utf-8"))


def _outline_process(proc: ET.Element, filename: str) -> ProcessOutline:
    parents: dict[str, tuple[str, ...]] = {}
    calls: dict[str, str] = {}
    starts: dict[str, str] = {}
    process_id = proc.get("id", "")

    def walk(container: ET.Element, chain: tuple[str, ...], event_sub: bool) -> None:
        for child in container:
            if not child.tag.startswith("{" + BPMN_NS + "}"):
                continue
            kind, element_id = _local(child.tag), child.get("id")
            if not element_id or kind in ("extensionElements", "documentation", "laneSet", "ioSpecification"):
                continue
            parents[element_id] = chain
            if kind == "callActivity" and child.get("calledElement"):
                calls[element_id] = child.get("calledElement")
            elif kind == "startEvent" and not event_sub:
                starts[element_id] = chain[0] if chain else process_id
            if kind in CONTAINERS:
                walk(child, (element_id, *chain), child.get("triggeredByEvent") == "true")

    walk(proc, (), False)
    return ProcessOutline(id=process_id, name=proc.get("name") or process_id, file=filename,
                          parents=parents, calls=calls, start_events=starts)


def _outline(key: str, bpmn: dict[str, str]) -> DefinitionOutline:
    found: dict[str, ProcessOutline] = {}
    for filename, xml in sorted(bpmn.items()):
        for proc in _parse(xml, filename).iter(f"{{{BPMN_NS}}}process"):
            found[proc.get("id", "")] = _outline_process(proc, filename)
    root = key if key in found else next(iter(found), key)
    ordered: dict[str, ProcessOutline] = {}

    def visit(process_id: str) -> None:
        if process_id in ordered or process_id not in found:
            return
        ordered[process_id] = found[process_id]
        for called in found[process_id].calls.values():
            visit(called)

    visit(root)
    return DefinitionOutline(root=root, processes=ordered)


_OUTLINES: dict[tuple[int, str], DefinitionOutline] = {}


def definition_outline(definition_id: int, sha256: str, key: str, bpmn: dict[str, str]) -> DefinitionOutline:
    """The outline of a deployed version, parsed once per process (a version is never edited)."""
    cache_key = (definition_id, sha256)
    outline = _OUTLINES.get(cache_key)
    if outline is None:
        if len(_OUTLINES) >= 64:
            _OUTLINES.clear()
        outline = _OUTLINES[cache_key] = _outline(key, bpmn)
    return outline


def _definition_for(session: Session, case: Case):
    """(id, key, version, sha256, files) of the version the case's instance is pinned to."""
    row = None
    if case.instance_id is not None:
        row = session.execute(
            select(ProcessDefinition.id, ProcessDefinition.key, ProcessDefinition.version, ProcessDefinition.sha256,
                   ProcessDefinition.files)
            .join(ProcessInstance, ProcessInstance.definition_id == ProcessDefinition.id)
            .where(ProcessInstance.id == case.instance_id)).one_or_none()
    if row is None:
        raise NotFound("the case has no process")
    return row


def _spread_up(outline: DefinitionOutline, marks: dict[str, Marks], process_id: str, element_id: str,
               kind: str, seen: set | None = None) -> None:
    """Mark the element, its enclosing sub-processes, and the call activities (with their own
    enclosing sub-processes) that lead to its process, up to the root."""
    seen = seen if seen is not None else set()
    if (process_id, element_id) in seen or process_id not in outline.processes:
        return
    seen.add((process_id, element_id))
    proc = outline.processes[process_id]
    target = getattr(marks[process_id], kind)
    target.add(element_id)
    target.update(proc.parents.get(element_id, ()))
    for caller, activity in outline.callers(process_id):
        _spread_up(outline, marks, caller, activity, kind, seen)


def _home(outline: DefinitionOutline, element_id: str, preferred: str | None = None) -> list[str]:
    homes = outline.homes(element_id)
    if preferred in homes:
        return [preferred]
    return homes


def case_diagram(session: Session, case: Case) -> dict:
    """The diagram of `case`: {case_no, key, version, root, initial, files: {name: xml},
    processes: [{id, name, file, completed, current, waiting, cancelled}]} (ids sorted).
    A user task done before and ready again (a reopened case) is current, not completed."""
    definition = _definition_for(session, case)
    bpmn_files = definition.files.get("bpmn") or {}
    outline = definition_outline(definition.id, definition.sha256, definition.key, bpmn_files)
    marks = {pid: Marks() for pid in outline.processes}

    ready = session.execute(
        select(ReadyTask.spec_id, ReadyTask.process_id).where(ReadyTask.case_id == case.id)
        .order_by(ReadyTask.due_at, ReadyTask.created_at)).all()
    logged = session.execute(select(TaskLog.spec_id, TaskLog.state).where(TaskLog.case_id == case.id)).all()
    timers = session.execute(
        select(Timer.spec_id, Timer.attached_to, Timer.fired_at).where(Timer.case_id == case.id)).all()

    initial = None
    for spec_id, process_id in ready:
        for home in _home(outline, spec_id, process_id):
            _spread_up(outline, marks, home, spec_id, "current")
            initial = initial or home
    for spec_id, state in logged:
        for home in _home(outline, spec_id):
            _spread_up(outline, marks, home, spec_id, "completed" if state == "completed" else "cancelled")
    waiting_home = None
    for spec_id, attached_to, fired_at in timers:
        homes = [h for h in outline.homes(spec_id) if attached_to is None or attached_to in outline.processes[h].parents]
        for home in homes:
            _spread_up(outline, marks, home, spec_id, "completed" if fired_at is not None else "waiting")
            if fired_at is None:
                waiting_home = waiting_home or home

    processes = []
    for pid, proc in outline.processes.items():
        m = marks[pid]
        # a started process (or sub-process) has passed its start event
        started = {pid} | m.completed | m.current | m.cancelled | m.waiting
        if m.touched():
            m.completed.update(s for s, container in proc.start_events.items() if container in started)
        current = m.current
        waiting = m.waiting - current
        completed = m.completed - current - waiting
        cancelled = m.cancelled - current - waiting - completed
        processes.append({"id": pid, "name": proc.name, "file": proc.file,
                          "completed": sorted(completed), "current": sorted(current),
                          "waiting": sorted(waiting), "cancelled": sorted(cancelled)})

    used = {p["file"] for p in processes}
    return {
        "case_no": case.case_no, "key": definition.key, "version": definition.version,
        "root": outline.root, "initial": initial or waiting_home or outline.root,
        "files": {name: xml for name, xml in bpmn_files.items() if name in used},
        "processes": processes,
    }
