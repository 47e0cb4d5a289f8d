"""Model code runs under RestrictedPython with curated builtins and a CPU time limit."""
import time

import pytest

from app.engine import Instance, ScriptEnvironment, ScriptTimeout, build_package, compile_check
from app.errors import ProcessError

DUNDER_ESCAPE = "x = [c for c in ().__class__.__base__.__subclasses__() if c.__name__ == 'catch_warnings']"


@pytest.mark.parametrize("source", [DUNDER_ESCAPE, "import os", "from os import path",
                                    "x = open('/etc/passwd').read()", "exec('x = 1')", "x = eval('1')",
                                    "x = getattr(y, 'z')", "_secret = 1"])
def test_dangerous_scripts_do_not_compile(source):
    assert compile_check(source, "exec") is not None


def test_syntax_error_carries_line_number():
    msg = compile_check("a = 1\nb = 2\nc = (", "exec")
    assert msg.startswith("line 3:")
    with pytest.raises(SyntaxError) as info:
        ScriptEnvironment({}).execute("a = 1\nb = = 2", {})
    assert info.value.lineno == 2


def test_scripts_keep_task_data_semantics(env):
    data = {"items": [1, 2, 3], "n": 4}
    env.execute("total = 0\nfor i in items:\n    total += i\n"
                "doubled = double(n)\nsquares = {i: i * i for i in items}\nfirst, *rest = items\n"
                "info = {}\ninfo['k'] = sorted(items, reverse=True)", data)
    assert data["total"] == 6 and data["doubled"] == 8 and data["squares"] == {1: 1, 2: 4, 3: 9}
    assert data["first"] == 1 and data["rest"] == [2, 3] and data["info"] == {"k": [3, 2, 1]}
    assert "double" not in data and not [k for k in data if k.startswith("_")]


def test_expressions_see_task_data_and_helpers(env):
    assert env.evaluate("double(n) > 7 and len(items) == 3", {"n": 4, "items": [1, 2, 3]}) is True


def test_task_data_cannot_replace_guards(env):
    assert env.evaluate("a.upper()", {"a": "x", "_getattr_": "oops"}) == "X"


def test_helpers_cannot_be_modified(env):
    with pytest.raises(TypeError):
        env.execute("double.attr = 1", {})


@pytest.mark.parametrize("source", [
    "while True:\n    pass",
    "try:\n    while True:\n        pass\nexcept:\n    pass\nwhile True:\n    pass",
    "def spin():\n    while 1:\n        try:\n            pass\n        except:\n            pass\nspin()",
    "x = [i for i in range(1000000) for j in range(1000000)]",
])
def test_endless_loops_are_stopped_by_the_time_limit(source):
    env = ScriptEnvironment({}, time_limit=0.2)
    t0 = time.monotonic()
    with pytest.raises(ScriptTimeout):
        env.execute(source, {})
    assert time.monotonic() - t0 < 2


def test_huge_range_is_refused(env):
    with pytest.raises(ValueError):
        env.execute("x = sum(range(10 ** 12))", {})


SCRIPT_MODEL = """<?xml version="1.0" encoding="UTF-8"?>
<bpmn:definitions xmlns:bpmn="http://www.omg.org/spec/BPMN/20100524/MODEL" id="d" targetNamespace="t">
  <bpmn:process id="p" isExecutable="true">
    <bpmn:startEvent id="start"><bpmn:outgoing>f1</bpmn:outgoing></bpmn:startEvent>
    <bpmn:scriptTask id="evil" name="Evil"><bpmn:incoming>f1</bpmn:incoming><bpmn:outgoing>f2</bpmn:outgoing>
      <bpmn:script>SCRIPT</bpmn:script></bpmn:scriptTask>
    <bpmn:endEvent id="end"><bpmn:incoming>f2</bpmn:incoming></bpmn:endEvent>
    <bpmn:sequenceFlow id="f1" sourceRef="start" targetRef="evil" />
    <bpmn:sequenceFlow id="f2" sourceRef="evil" targetRef="end" />
  </bpmn:process>
</bpmn:definitions>"""


@pytest.mark.parametrize("script", ["x = ().__class__.__base__.__subclasses__()", "import os",
                                    "x = open('/etc/passwd').read()", "while True:\n    pass"])
def test_dangerous_scripts_fail_at_run_time_with_the_element_id(script):
    xml = SCRIPT_MODEL.replace("SCRIPT", script.replace("<", "&lt;")).encode()
    compiled = build_package({"evil.bpmn": xml}).compile("p")
    env = ScriptEnvironment({}, time_limit=0.2)
    with pytest.raises(ProcessError) as info:
        Instance.start(compiled, {}, env)
    assert info.value.element_id == "evil"
