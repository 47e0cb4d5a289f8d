"""A set of BPMN/DMN files parsed into SpiffWorkflow specs (a "process package").

All parse/validation failures come out as `DefinitionInvalid` with `Problem`s naming the file,
the element id/name and, where we can find it, the line.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Iterator

from lxml import etree
from SpiffWorkflow.bpmn.parser.ValidationException import ValidationException
from SpiffWorkflow.bpmn.specs.bpmn_process_spec import BpmnProcessSpec
from SpiffWorkflow.bpmn.specs.mixins.subworkflow_task import CallActivity as CallActivityMixin
from SpiffWorkflow.bpmn.specs.mixins.subworkflow_task import EventSubprocess as EventSubprocessMixin
from SpiffWorkflow.bpmn.specs.mixins.subworkflow_task import SubWorkflowTask as SubWorkflowMixin
from SpiffWorkflow.bpmn.specs.mixins.user_task import UserTask as UserTaskMixin
from SpiffWorkflow.spiff.parser.process import VALIDATOR, SpiffBpmnParser

from app.errors import DefinitionInvalid, Problem

from .xml_safety import parse_xml

BPMN_NS = "http://www.omg.org/spec/BPMN/20100524/MODEL"
NS = {"bpmn": BPMN_NS}


@dataclass(frozen=True)
class ElementRef:
    """Where a BPMN element lives: file, enclosing top-level process, line, short tag, name."""

    file: str
    process_id: str
    element_id: str
    tag: str
    name: str
    line: int | None


@dataclass
class UserTaskMeta:
    process_id: str
    spec_id: str
    name: str
    lane: str | None
    properties: dict[str, str]
    instructions: str | None
    documentation: str | None


@dataclass
class CompiledProcess:
    """A top-level spec plus every subprocess spec it needs (call activities and embedded)."""

    process_id: str
    spec: BpmnProcessSpec
    subprocess_specs: dict[str, BpmnProcessSpec]
    # spec names that are real <bpmn:process> ids (the rest are embedded subprocess element ids)
    bpmn_process_ids: frozenset = field(default_factory=frozenset)

    def all_specs(self) -> Iterator[BpmnProcessSpec]:
        yield self.spec
        yield from (s for s in self.subprocess_specs.values() if s is not None)

    # SpiffWorkflow 3.2.0 parses event subprocesses as *plain* SubWorkflowTask specs (its
    # `attribute('triggeredByEvent')` looks for a namespaced attribute and never finds it), so
    # the flag is taken from the XML at compile time and persisted with the spec JSON.
    event_subprocess: bool = False

    @property
    def has_event_subprocess(self) -> bool:
        return self.event_subprocess or any(
            isinstance(ts, EventSubprocessMixin) for spec in self.all_specs() for ts in spec.task_specs.values()
        ) or any(getattr(spec.start, "trigger_specs", None) for spec in self.all_specs())


def short_tag(tag: str) -> str:
    if not isinstance(tag, str):
        return ""
    if tag.startswith("{"):
        ns, local = tag[1:].split("}", 1)
        prefix = {BPMN_NS: "bpmn", "http://spiffworkflow.org/bpmn/schema/1.0/core": "spiffworkflow"}.get(ns)
        if prefix is None and "DMN" in ns.upper():
            prefix = "dmn"
        return f"{prefix}:{local}" if prefix else local
    return tag


def _problem_from_validation(e: ValidationException, default_file: str, index: dict) -> Problem:
    file = e.file_name or default_file
    element_id = getattr(e, "id", "") or ""
    line = e.line_number if isinstance(e.line_number, int) else None
    if line is None and element_id:
        ref = index.get((file, element_id)) or index.get(("", element_id))
        if ref is not None:
            line = ref.line
            file = file or ref.file
    tag = getattr(e, "tag", "") or ""
    message = str(e.args[0]) if e.args else str(e)
    message = message.replace("{%s}" % BPMN_NS, "bpmn:")
    if tag:
        message = f"{tag}: {message}"
    return Problem(message=message, file=file, element_id=element_id,
                   element_name=getattr(e, "name", "") or "", code="bpmn" if element_id else "schema", line=line)


class ProcessPackage:
    """Parsed BPMN + DMN files. Build with `build_package`."""

    def __init__(self, parser: SpiffBpmnParser, bpmn_trees: dict, dmn_trees: dict):
        self.parser = parser
        self.bpmn_trees: dict[str, etree._ElementTree] = bpmn_trees
        self.dmn_trees: dict[str, etree._ElementTree] = dmn_trees
        self._index: dict[tuple[str, str], ElementRef] = {}
        self._by_process: dict[str, dict[str, ElementRef]] = {}
        self._process_file: dict[str, str] = {}
        self._called: set[str] = set()
        self._compiled: dict[str, CompiledProcess] = {}
        for filename, tree in bpmn_trees.items():
            for proc in tree.getroot().iter(f"{{{BPMN_NS}}}process"):
                pid = proc.get("id", "")
                self._process_file[pid] = filename
                refs = self._by_process.setdefault(pid, {})
                for el in proc.iter():
                    if not isinstance(el.tag, str) or el.get("id") is None:
                        continue
                    ref = ElementRef(filename, pid, el.get("id"), short_tag(el.tag), el.get("name", "") or "", el.sourceline)
                    refs[ref.element_id] = ref
                    self._index.setdefault((filename, ref.element_id), ref)
                    self._index.setdefault(("", ref.element_id), ref)
                for ca in proc.iter(f"{{{BPMN_NS}}}callActivity"):
                    if ca.get("calledElement"):
                        self._called.add(ca.get("calledElement"))
            for el in tree.getroot().iter():  # collaboration, messages, ... (outside processes)
                if isinstance(el.tag, str) and el.get("id") is not None:
                    ref = ElementRef(filename, "", el.get("id"), short_tag(el.tag), el.get("name", "") or "", el.sourceline)
                    self._index.setdefault((filename, ref.element_id), ref)
                    self._index.setdefault(("", ref.element_id), ref)
        self.process_ids: list[str] = [
            pid for pid, p in parser.process_parsers.items()
            if pid in self._process_file and p.process_executable
        ]
        self.root_process_ids: list[str] = [pid for pid in self.process_ids if pid not in self._called]

    # -- lookups ---------------------------------------------------------------------------
    @property
    def decision_ids(self) -> set[str]:
        return set(self.parser.dmn_parsers)

    def file_of(self, process_id: str) -> str:
        return self._process_file.get(process_id, "")

    def element(self, process_id: str, element_id: str) -> ElementRef | None:
        """Find an element by id; `process_id` may be a top-level process or an embedded subprocess id."""
        refs = self._by_process.get(process_id)
        if refs is None:  # embedded subprocess: the process that contains the subprocess element
            owner = self._index.get(("", process_id))
            refs = self._by_process.get(owner.process_id, {}) if owner else {}
        return refs.get(element_id) or self._index.get(("", element_id))

    def has_process(self, process_id: str) -> bool:
        return process_id in self._process_file

    def call_activities(self, process_id: str) -> list[tuple[ElementRef, str]]:
        """(call activity, calledElement) pairs inside a top-level process, from the XML."""
        refs = self._by_process.get(process_id, {})
        tree = self.bpmn_trees.get(self.file_of(process_id))
        out = []
        if tree is None:
            return out
        for proc in tree.getroot().iter(f"{{{BPMN_NS}}}process"):
            if proc.get("id") == process_id:
                for ca in proc.iter(f"{{{BPMN_NS}}}callActivity"):
                    out.append((refs[ca.get("id")], ca.get("calledElement") or ""))
        return out

    def reachable_processes(self, process_id: str) -> list[str]:
        """process_id and every process it calls, transitively (existing ones only), from the XML."""
        seen, todo = [], [process_id]
        while todo:
            pid = todo.pop(0)
            if pid in seen or not self.has_process(pid):
                continue
            seen.append(pid)
            todo.extend(called for _, called in self.call_activities(pid))
        return seen

    def enclosing_process(self, spec_name: str) -> str:
        if spec_name in self._process_file:
            return spec_name
        ref = self._index.get(("", spec_name))
        return ref.process_id if ref and ref.process_id else spec_name

    def problem_for(self, process_id: str, element_id: str, message: str, code: str) -> Problem:
        ref = self.element(process_id, element_id)
        return Problem(message=message, file=ref.file if ref else self.file_of(self.enclosing_process(process_id)),
                       element_id=element_id, element_name=ref.name if ref else "", code=code,
                       line=ref.line if ref else None)

    # -- compiling ---------------------------------------------------------------------------
    def _spec(self, process_id: str) -> BpmnProcessSpec:
        try:
            return self.parser.get_spec(process_id)
        except ValidationException as e:
            raise DefinitionInvalid([_problem_from_validation(e, self.file_of(process_id), self._index)]) from None
        except DefinitionInvalid:
            raise
        except Exception as e:  # Spiff parser bugs surface as arbitrary exceptions
            raise DefinitionInvalid([Problem(message=f"cannot parse process {process_id!r}: {type(e).__name__}: {e}",
                                             file=self.file_of(process_id), code="bpmn")]) from None

    def compile(self, process_id: str) -> CompiledProcess:
        """Spec + all subprocess specs for `process_id` (cached). Raises DefinitionInvalid."""
        if process_id in self._compiled:
            return self._compiled[process_id]
        if process_id not in self._process_file:
            raise DefinitionInvalid([Problem(message=f"no process with id {process_id!r} in this package "
                                                     f"(available: {', '.join(self.process_ids) or 'none'})",
                                             code="no-process")])
        spec = self._spec(process_id)
        subs: dict[str, BpmnProcessSpec] = {}
        problems: list[Problem] = []
        todo = [spec]
        while todo:
            current = todo.pop()
            for ts in current.task_specs.values():
                if not isinstance(ts, SubWorkflowMixin) or ts.spec in subs:
                    continue
                if isinstance(ts, CallActivityMixin) and ts.spec not in self._process_file:
                    problems.append(self.problem_for(
                        current.name, ts.bpmn_id,
                        f"call activity calls process {ts.spec!r}, which is not in this package", "call-target"))
                    continue
                sub = self._spec(ts.spec)
                subs[ts.spec] = sub
                todo.append(sub)
        if problems:
            raise DefinitionInvalid(problems)
        bpmn_ids = frozenset(n for n in [process_id, *subs] if n in self._process_file)
        compiled = CompiledProcess(process_id, spec, subs, bpmn_ids,
                                   event_subprocess=any(self._has_event_subprocess(pid) for pid in bpmn_ids))
        self._compiled[process_id] = compiled
        return compiled

    def _has_event_subprocess(self, process_id: str) -> bool:
        tree = self.bpmn_trees.get(self.file_of(process_id))
        if tree is None:
            return False
        return any(proc.get("id") == process_id and any(
            sp.get("triggeredByEvent") == "true" for sp in proc.iter(f"{{{BPMN_NS}}}subProcess"))
            for proc in tree.getroot().iter(f"{{{BPMN_NS}}}process"))

    def user_tasks(self, process_id: str) -> list[UserTaskMeta]:
        compiled = self.compile(process_id)
        out = []
        for spec in compiled.all_specs():
            for ts in spec.task_specs.values():
                if isinstance(ts, UserTaskMixin):
                    out.append(user_task_meta(ts, self.enclosing_process(spec.name)))
        return sorted(out, key=lambda m: (m.process_id, m.spec_id))


def user_task_meta(ts, process_id: str) -> UserTaskMeta:
    ext = getattr(ts, "extensions", None) or {}
    props = ext.get("properties") or {}
    return UserTaskMeta(
        process_id=process_id, spec_id=ts.bpmn_id, name=ts.bpmn_name or ts.bpmn_id, lane=ts.lane,
        properties={str(k): str(v) for k, v in props.items()},
        instructions=ext.get("instructionsForEndUser"), documentation=getattr(ts, "documentation", None),
    )


def build_package(bpmn: dict[str, bytes], dmn: dict[str, bytes] | None = None,
                  validate_xsd: bool = True) -> ProcessPackage:
    """Parse BPMN (and DMN) files given as {filename: bytes}. Raises DefinitionInvalid with every
    problem found in any file (XML, XSD, duplicate ids, DMN). Semantic errors inside a process
    (missing condition, unknown decision, ...) surface from `compile()` and `lint()`."""
    if not bpmn:
        raise DefinitionInvalid([Problem(message="no BPMN files given", code="empty")])
    parser = SpiffBpmnParser(validator=VALIDATOR if validate_xsd else None)
    problems: list[Problem] = []
    bpmn_trees: dict[str, etree._ElementTree] = {}
    dmn_trees: dict[str, etree._ElementTree] = {}

    def guarded(filename, fn):
        try:
            fn()
            return True
        except DefinitionInvalid as e:
            problems.extend(e.problems)
        except ValidationException as e:
            problems.append(_problem_from_validation(e, filename, {}))
        except etree.XMLSyntaxError as e:
            problems.append(Problem(message=f"malformed XML: {e}", file=filename, code="xml", line=e.lineno))
        except Exception as e:  # anything else the Spiff parser throws
            problems.append(Problem(message=f"{type(e).__name__}: {e}", file=filename, code="bpmn"))
        return False

    for filename, data in (dmn or {}).items():
        def add_dmn(filename=filename, data=data):
            tree = parse_xml(data, filename)
            parser.add_dmn_xml(tree.getroot(), filename=filename)
            dmn_trees[filename] = tree
        guarded(filename, add_dmn)
    for dmn_id, dmn_parser in list(parser.dmn_parsers.items()):
        guarded(getattr(dmn_parser, "filename", "") or "", dmn_parser.parse)

    for filename, data in bpmn.items():
        def add_bpmn(filename=filename, data=data):
            tree = parse_xml(data, filename)
            # the XSD preprocessing mutates the tree; that is fine, we keep the same object
            parser.add_bpmn_xml(tree, filename=filename)
            bpmn_trees[filename] = tree
        guarded(filename, add_bpmn)
    if problems:
        raise DefinitionInvalid(problems)

    return ProcessPackage(parser, bpmn_trees, dmn_trees)

