"""lint() flags every modelling-convention rule on a small broken model."""
import pytest

from app.engine import build_package, lint

from .conftest import model_bytes, package_of

ROLES = {"handler", "intake_officer", "supervisor"}
HELPERS = {"add_workdays", "add_days"}


@pytest.fixture(scope="module")
def problems():
    return lint(package_of("lint_broken.bpmn"), "broken", {}, ROLES, HELPERS)


def _codes_for(problems, element_id):
    return {p.code for p in problems if p.element_id == element_id}


@pytest.mark.parametrize("element_id, code", [
    ("lane_bad", "unknown-role"),
    ("t_noform", "no-form"),
    ("t_badform", "unknown-form"),
    ("t_badform", "unknown-ui"),
    ("t_badform", "due-rule"),
    ("t_badform", "script"),        # preScript: import os
    ("s_dunder", "script"),
    ("s_open", "script"),
    ("s_exec", "script"),
    ("s_unknown", "unknown-function"),
    ("f_a", "condition"),
    ("wait", "timer"),
    ("f_b", "no-condition"),
    ("gw", "no-default"),
    ("on_update", "event-subprocess"),
    ("decide", "unknown-decision"),
])
def test_rule_is_flagged(problems, element_id, code):
    assert code in _codes_for(problems, element_id)


def test_problems_name_file_element_and_line(problems):
    for p in problems:
        assert p.file == "lint_broken.bpmn" and p.element_id and p.line and p.message


def test_clean_models_have_no_problems():
    forms = {"form_request.json": {}, "form_amount.json": {}, "form_approve.json": {}}
    assert lint(package_of("approval3.bpmn"), "Process_approval3", forms, ROLES, HELPERS) == []
    assert lint(package_of("withdraw.bpmn"), "complaint_case", {"verify.schema.json": {}}, ROLES, HELPERS) == []


def test_called_process_is_linted_and_missing_target_flagged():
    xml = model_bytes("withdraw.bpmn")
    problems = lint(build_package({"w.bpmn": xml}), "complaint_case", {}, ROLES, HELPERS)
    assert ("verify", "unknown-form") in {(p.element_id, p.code) for p in problems}
    broken = build_package({"w.bpmn": xml.replace(b'calledElement="verification"', b'calledElement="gone"')})
    assert "call-target" in _codes_for(lint(broken, "complaint_case", {}, ROLES, HELPERS), "call_verification")


def test_form_field_named_like_a_helper_is_flagged():
    forms = {"verify.schema.json": {"properties": {"add_days": {"type": "integer"}}}}
    problems = lint(package_of("withdraw.bpmn"), "complaint_case", forms, ROLES, HELPERS)
    assert "field-shadows-helper" in _codes_for(problems, "verify")


DMN = b"""<?xml version="1.0" encoding="UTF-8"?>
<definitions xmlns="https://www.omg.org/spec/DMN/20191111/MODEL/" id="d" name="d" namespace="x">
  <decision id="pick_org" name="Pick org">
    <decisionTable id="t" hitPolicy="FIRST">
      <input id="i1"><inputExpression id="ie1" typeRef="string"><text>kind</text></inputExpression></input>
      <output id="o1" name="org" typeRef="string" />
      <rule id="r1"><inputEntry id="e1"><text>? in ("a", "b")</text></inputEntry><outputEntry id="oe1"><text>"ORG1"</text></outputEntry></rule>
      <rule id="r2"><inputEntry id="e2"><text>in ("c")</text></inputEntry><outputEntry id="oe2"><text>().__class__</text></outputEntry></rule>
      <rule id="r3"><inputEntry id="e3"><text>-</text></inputEntry><outputEntry id="oe3"><text>"ORG3"</text></outputEntry></rule>
    </decisionTable>
  </decision>
</definitions>"""


def test_dmn_expressions_are_compile_checked():
    bpmn = model_bytes("lint_broken.bpmn").replace(b"no_such_decision", b"pick_org")
    pkg = build_package({"b.bpmn": bpmn}, {"pick_org.dmn": DMN})
    problems = lint(pkg, "broken", {}, ROLES, HELPERS)
    dmn = {(p.element_id, p.code) for p in problems if p.file == "pick_org.dmn"}
    assert dmn == {("e2", "dmn-expression"), ("oe2", "dmn-expression")}  # e2 would run as `kindin ("c")`
    assert "unknown-decision" not in _codes_for(problems, "decide")
