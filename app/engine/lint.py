"""Deploy-time checks of a process (and everything it calls) against our modelling conventions.

See docs/modelling.md. Returns a list of Problems; an empty list means the model may deploy.
Codes: no-form, unknown-form, unknown-ui, unknown-role, due-rule, script, condition, timer,
dmn-expression, unknown-function, no-condition, no-default, event-subprocess, unknown-decision,
field-shadows-helper, call-target, unreachable (and parse codes from build_package via compile()).
"""
from __future__ import annotations

import ast
import re
from typing import Mapping

from app.errors import DefinitionInvalid, Problem

from .package import BPMN_NS, ProcessPackage
from .script_env import SAFE_BUILTINS, compile_check

SPIFF_NS = "http://spiffworkflow.org/bpmn/schema/1.0/core"
DUE_RULE = re.compile(r"^\d+ (workdays|days)$|^until [A-Za-z_][A-Za-z0-9_]*$")
# flow nodes that run only when a sequence flow leads to them (start and boundary events are entered otherwise)
FLOW_NODES = ("task", "userTask", "manualTask", "scriptTask", "serviceTask", "sendTask", "receiveTask",
              "businessRuleTask", "callActivity", "subProcess", "exclusiveGateway", "parallelGateway",
              "inclusiveGateway", "eventBasedGateway", "intermediateCatchEvent", "intermediateThrowEvent", "endEvent")
_Q_OUTSIDE_QUOTES = re.compile(r"(\?)(?=(?:[^'\"]|['\"][^'\"]*['\"])*$)")


def _b(tag: str) -> str:
    return f"{{{BPMN_NS}}}{tag}"


def _s(tag: str) -> str:
    return f"{{{SPIFF_NS}}}{tag}"


def _text(el) -> str:
    return (el.text or "").strip() if el is not None else ""


class _Linter:
    def __init__(self, package: ProcessPackage, forms: Mapping[str, dict], known_roles: set[str],
                 helper_names: set[str]):
        self.pkg = package
        self.forms = forms
        self.roles = set(known_roles)
        self.helpers = set(helper_names)
        self.problems: list[Problem] = []
        self.decisions_used: set[str] = set()

    def add(self, file: str, el, code: str, message: str, element_id: str | None = None):
        self.problems.append(Problem(
            message=message, file=file, element_id=element_id if element_id is not None else (el.get("id", "") if el is not None else ""),
            element_name=(el.get("name", "") or "") if el is not None else "", code=code,
            line=el.sourceline if el is not None else None))

    # -- code ------------------------------------------------------------------------------------
    def check_code(self, file: str, el, source: str, mode: str, code: str, what: str):
        if not source.strip():
            if mode == "eval":
                self.add(file, el, code, f"{what} is empty")
            return
        err = compile_check(source, mode)
        if err:
            self.add(file, el, code, f"{what}: {err}")
            return
        unknown = self._unknown_calls(source, mode)
        if unknown:
            self.add(file, el, "unknown-function",
                     f"{what} calls {', '.join(sorted(unknown))}, which is neither a helper nor an allowed builtin")

    def _unknown_calls(self, source: str, mode: str) -> set[str]:
        try:
            tree = ast.parse(source.strip() if mode == "eval" else source, mode=mode)
        except SyntaxError:
            return set()
        assigned = {n.id for n in ast.walk(tree) if isinstance(n, ast.Name) and isinstance(n.ctx, ast.Store)}
        assigned |= {n.name for n in ast.walk(tree) if isinstance(n, (ast.FunctionDef, ast.Lambda)) and hasattr(n, "name")}
        assigned |= {a.arg for n in ast.walk(tree) if isinstance(n, ast.Lambda) for a in n.args.args}
        called = {n.func.id for n in ast.walk(tree) if isinstance(n, ast.Call) and isinstance(n.func, ast.Name)}
        return called - self.helpers - set(SAFE_BUILTINS) - assigned

    # -- per process element -----------------------------------------------------------------
    def lint_process(self, file: str, proc):
        for lane in proc.iter(_b("lane")):
            name = lane.get("name", "") or ""
            if name not in self.roles:
                self.add(file, lane, "unknown-role",
                         f"lane name {name!r} is not a role ({', '.join(sorted(self.roles))})")
        for ut in proc.iter(_b("userTask")):
            self.lint_user_task(file, ut)
        for st in proc.iter(_b("scriptTask")):
            self.check_code(file, st, _text(st.find(_b("script"))), "exec", "script", "script")
        for el in proc.iter():
            if not isinstance(el.tag, str):
                continue
            ext = el.find(_b("extensionElements"))
            if ext is not None:
                for tag in ("preScript", "postScript"):
                    node = ext.find(_s(tag))
                    if node is not None:
                        self.check_code(file, el, _text(node), "exec", "script", tag)
        for flow in proc.iter(_b("sequenceFlow")):
            cond = flow.find(_b("conditionExpression"))
            if cond is not None:
                self.check_code(file, flow, _text(cond), "eval", "condition", "condition")
        for ted in proc.iter(_b("timerEventDefinition")):
            event = ted.getparent()
            for kind in ("timeDate", "timeDuration", "timeCycle"):
                node = ted.find(_b(kind))
                if node is not None:
                    self.check_code(file, event, _text(node), "eval", "timer", f"{kind} expression")
        for tag in ("messageEventDefinition", "signalEventDefinition"):
            for ed in proc.iter(_b(tag)):
                payload = ed.find(f"{_b('extensionElements')}/{_s('messagePayload')}")
                if payload is not None:
                    self.check_code(file, ed.getparent(), _text(payload), "eval", "script", "message payload")
        for gw in proc.iter(_b("exclusiveGateway")):
            self.lint_gateway(file, proc, gw)
        self.lint_unreachable(file, proc)
        for sp in proc.iter(_b("subProcess")):
            if sp.get("triggeredByEvent") == "true":
                self.add(file, sp, "event-subprocess",
                         "event subprocesses are not allowed (SpiffWorkflow ignores isInterrupting and mutates "
                         "shared specs); use a boundary event on an enclosing subprocess")
        for ca in proc.iter(_b("callActivity")):
            called = ca.get("calledElement") or ""
            if not self.pkg.has_process(called):
                self.add(file, ca, "call-target", f"call activity calls process {called!r}, which is not in this package")
        for br in proc.iter(_b("businessRuleTask")):
            node = br.find(f"{_b('extensionElements')}/{_s('calledDecisionId')}")
            decision = _text(node)
            if not decision:
                self.add(file, br, "unknown-decision", "business rule task has no spiffworkflow:calledDecisionId")
            elif decision not in self.pkg.decision_ids:
                self.add(file, br, "unknown-decision", f"decision {decision!r} is not in this package")
            else:
                self.decisions_used.add(decision)

    def lint_user_task(self, file: str, ut):
        props = {}
        ext = ut.find(_b("extensionElements"))
        if ext is not None:
            for p in ext.iter(_s("property")):
                props[p.get("name", "")] = p.get("value", "")
        form = props.get("formJsonSchemaFilename")
        if not form:
            self.add(file, ut, "no-form", "user task has no formJsonSchemaFilename property")
        elif form not in self.forms:
            self.add(file, ut, "unknown-form", f"form {form!r} does not exist")
        else:
            schema = self.forms.get(form) or {}
            fields = set((schema.get("properties") or {}) if isinstance(schema, dict) else ())
            clash = fields & self.helpers
            if clash:
                self.add(file, ut, "field-shadows-helper",
                         f"form {form!r} has fields named like script helpers: {', '.join(sorted(clash))}")
        ui = props.get("formUiSchemaFilename")
        if ui and ui not in self.forms:
            self.add(file, ut, "unknown-ui", f"ui file {ui!r} does not exist")
        due = props.get("dueRule")
        if due is not None and not DUE_RULE.match(due):
            self.add(file, ut, "due-rule",
                     f"dueRule {due!r} must be 'N workdays', 'N days' or 'until <variable>'")

    def lint_gateway(self, file: str, proc, gw):
        gw_id = gw.get("id", "")
        default = gw.get("default")
        outgoing = [f for f in proc.iter(_b("sequenceFlow")) if f.get("sourceRef") == gw_id]
        if len(outgoing) <= 1:
            return
        for f in outgoing:
            if f.get("id") != default and f.find(_b("conditionExpression")) is None:
                self.add(file, f, "no-condition",
                         f"flow out of exclusive gateway {gw_id!r} needs a condition (or make it the default)")
        if not default:
            self.add(file, gw, "no-default",
                     "exclusive gateway with several outgoing flows has no default flow; mark one outgoing flow as the default")

    def lint_unreachable(self, file: str, proc):
        """A flow node with no incoming sequence flow can never run (a leftover from editing)."""
        targets = {f.get("targetRef") for f in proc.iter(_b("sequenceFlow"))}
        for el in proc.iter(*[_b(tag) for tag in FLOW_NODES]):
            if el.get("id") in targets or el.get("isForCompensation") == "true" or el.get("triggeredByEvent") == "true":
                continue
            if el.find(_b("linkEventDefinition")) is not None:  # a link catch event is entered by its throw
                continue
            self.add(file, el, "unreachable",
                     f"{el.tag.split('}')[-1]} has no incoming sequence flow, so it can never run "
                     f"(connect it or delete it)")

    # -- DMN -------------------------------------------------------------------------------------
    def lint_dmn(self):
        for file, tree in self.pkg.dmn_trees.items():
            for decision in tree.getroot().iter("{*}decision"):
                if decision.get("id") not in self.decisions_used:
                    continue
                for table in decision.iter("{*}decisionTable"):
                    inputs = []
                    for inp in table.findall("{*}input"):
                        expr = _text(inp.find("{*}inputExpression/{*}text"))
                        inputs.append(expr)
                        self.check_code(file, inp, expr, "eval", "dmn-expression", "DMN input expression")
                    for rule in table.findall("{*}rule"):
                        for i, entry in enumerate(rule.findall("{*}inputEntry")):
                            text = _text(entry.find("{*}text"))
                            input_expr = inputs[i] if i < len(inputs) else "x"
                            self.check_dmn_entry(file, entry, text, input_expr or "x")
                        for entry in rule.findall("{*}outputEntry"):
                            text = _text(entry.find("{*}text"))
                            if text:
                                self.check_code(file, entry, text, "eval", "dmn-expression", "DMN output entry")

    def check_dmn_entry(self, file, entry, text, input_expr):
        if text in ("", "-"):
            return
        replaced = _Q_OUTSIDE_QUOTES.sub("dmninputexpr", text)
        if "dmninputexpr" in replaced:
            candidates = [replaced]
        elif compile_check(text, "eval") and re.match(r"[A-Za-z_]", text) and re.search(r"[A-Za-z0-9_)\]]$", input_expr):
            # Spiff concatenates without a space: `in ("a")` becomes `kindin ("a")`, a call to an unknown name
            self.add(file, entry, "dmn-expression",
                     f"DMN input entry {text!r} would be glued to the input ({input_expr}{text}); write '? {text}'")
            return
        else:
            candidates = [f"({input_expr}) == ({text})", f"{input_expr}{text}"]
        if all(compile_check(c, "eval") for c in candidates):
            self.add(file, entry, "dmn-expression",
                     f"DMN input entry {text!r}: {compile_check(candidates[0], 'eval')} "
                     f"(cells are Python; use ? for the input value)")


def lint(package: ProcessPackage, process_id: str, forms: Mapping[str, dict], known_roles: set[str],
         helper_names: set[str]) -> list[Problem]:
    """All problems of `process_id` and every process it calls (see module docstring). Includes
    SpiffWorkflow's own parse errors from compile() unless an XML rule already named the element."""
    if not package.has_process(process_id):
        return [Problem(message=f"no process with id {process_id!r} in this package", code="no-process")]
    linter = _Linter(package, forms, known_roles, helper_names)
    for pid in package.reachable_processes(process_id):
        file = package.file_of(pid)
        for proc in package.bpmn_trees[file].getroot().iter(_b("process")):
            if proc.get("id") == pid:
                linter.lint_process(file, proc)
    linter.lint_dmn()
    try:
        package.compile(process_id)
    except DefinitionInvalid as e:
        named = {p.element_id for p in linter.problems if p.element_id}
        linter.problems.extend(p for p in e.problems if not p.element_id or p.element_id not in named)
    return linter.problems
