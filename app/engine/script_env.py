"""Restricted script environment for model scripts, conditions, timer and DMN expressions.

SpiffWorkflow's default `TaskDataEnvironment` runs model text with plain `exec`/`eval` and full
builtins (see SPIFFWORKFLOW-NOTES §4). This environment keeps its data semantics (task data is
the global namespace of a script; top-level names a script creates become task data) but:

* compiles with RestrictedPython plus our own policy: no imports, no `_`-names, no dunder
  attributes, no `open`/`exec`/`eval`/`compile`/`getattr`/`globals`/... (refused at compile time);
* runs with curated builtins and RestrictedPython guards (`_getattr_` = safer_getattr, guarded
  item access, iteration and unpacking, restricted writes and in-place operators);
* enforces a CPU time limit in the calling thread: every `while` body, every `def` body and every
  iteration step (for loops and comprehensions go through `_getiter_`) calls a deadline check, so
  `while True: pass` is stopped even inside `try/except`;
* caches compiled code per source text.

Residual risks (document, do not rely on the sandbox alone): single C-level operations such as
`10 ** 10 ** 8` or `'a' * 10 ** 10` are not interrupted; `range()` is capped at MAX_RANGE items.
Model upload must remain a privileged, audited action.
"""
from __future__ import annotations

import ast
import operator
import re
import time
from functools import lru_cache
from typing import Callable, Mapping

from RestrictedPython import compile_restricted_eval, compile_restricted_exec
from RestrictedPython.Eval import default_guarded_getitem
from RestrictedPython.Guards import guarded_iter_unpack_sequence, guarded_unpack_sequence, safer_getattr
from RestrictedPython.PrintCollector import PrintCollector
from RestrictedPython.transformer import RestrictingNodeTransformer
from SpiffWorkflow.bpmn.script_engine import PythonScriptEngine, TaskDataEnvironment

SCRIPT_FILENAME = "<string>"  # SpiffWorkflow looks for this name in tracebacks to find the error line
MAX_RANGE = 1_000_000
DEFAULT_TIME_LIMIT = 2.0

# Names refused at compile time (they are not in the builtins anyway; refusing them early gives
# a clear lint message instead of a NameError at run time).
DENIED_NAMES = frozenset({
    "open", "exec", "eval", "compile", "__import__", "globals", "locals", "vars", "getattr",
    "setattr", "delattr", "hasattr", "input", "breakpoint", "help", "exit", "quit",
})

_GUARD = "_deadline_guard_"


class ScriptTimeout(Exception):
    """A script or expression ran longer than the environment's time limit."""


class _Policy(RestrictingNodeTransformer):
    """RestrictedPython's policy plus: no imports, no denied names, deadline checks in loops."""

    def visit_Import(self, node):
        self.error(node, "import statements are not allowed in process scripts")
        return node

    def visit_ImportFrom(self, node):
        self.error(node, "import statements are not allowed in process scripts")
        return node

    def visit_ClassDef(self, node):
        self.error(node, "class definitions are not allowed in process scripts")
        return node

    def visit_Global(self, node):
        self.error(node, "global statements are not allowed in process scripts")
        return node

    def visit_Nonlocal(self, node):
        self.error(node, "nonlocal statements are not allowed in process scripts")
        return node

    def visit_Name(self, node):
        if node.id in DENIED_NAMES:
            self.error(node, f'"{node.id}" is not allowed in process scripts')
            return node
        return super().visit_Name(node)

    @staticmethod
    def _guard_call(node):
        call = ast.Expr(ast.Call(ast.Name(_GUARD, ast.Load()), [], []))
        ast.copy_location(call, node)
        ast.fix_missing_locations(call)
        return call

    def visit_While(self, node):
        node = super().visit_While(node)
        node.body.insert(0, self._guard_call(node))
        return node

    def visit_FunctionDef(self, node):
        node = super().visit_FunctionDef(node)
        node.body.insert(0, self._guard_call(node))
        return node


def _syntax_error(errors: list[str] | tuple[str, ...], source: str) -> SyntaxError:
    """RestrictedPython reports 'Line N: message'. SpiffWorkflow needs `.lineno` (and indexes the
    script's lines with it), so the line is clamped to the script."""
    m = re.search(r"Line (\d+)", errors[0])
    n_lines = max(1, len(source.splitlines()))
    line = min(max(int(m.group(1)) if m else 1, 1), n_lines)
    text = source.splitlines()[line - 1] if source.splitlines() else ""
    msg = "; ".join(dict.fromkeys(re.sub(r"^Line \d+: ", "", e) for e in errors))
    return SyntaxError(msg, (SCRIPT_FILENAME, line, 0, text))


@lru_cache(maxsize=4096)
def _compile(source: str, mode: str):
    if mode == "exec":
        result = compile_restricted_exec(source, filename=SCRIPT_FILENAME, policy=_Policy)
    elif mode == "eval":
        result = compile_restricted_eval(source.strip(), filename=SCRIPT_FILENAME, policy=_Policy)
    else:
        raise ValueError(f"unknown mode {mode!r}")
    if result.errors or result.code is None:
        raise _syntax_error(result.errors or ["Line 1: cannot compile"], source)
    return result.code


def compile_check(source: str, mode: str = "exec") -> str | None:
    """Return None if `source` compiles under the restricted compiler, else a short message."""
    if not isinstance(source, str):
        return "script is not text"
    try:
        _compile(source, mode)
    except SyntaxError as e:
        return f"line {e.lineno}: {e.msg}"
    return None


def _no_import(name, *args, **kwargs):
    raise ImportError(f"import of {name!r} is not allowed in process scripts")


def _range(*args):
    r = range(*args)
    if len(r) > MAX_RANGE:
        raise ValueError(f"range() is limited to {MAX_RANGE} items in process scripts")
    return r


def _write_guard(obj):
    # Scripts may modify the plain containers they work with (task data is JSON-like) but no
    # other objects (helper functions, modules, ...).
    if isinstance(obj, (dict, list, set)):
        return obj
    raise TypeError(f"objects of type {type(obj).__name__} cannot be modified in process scripts")


_INPLACE = {
    "+=": operator.iadd, "-=": operator.isub, "*=": operator.imul,
    "/=": operator.itruediv, "//=": operator.ifloordiv, "%=": operator.imod,
}


def _inplacevar(op, x, y):
    try:
        return _INPLACE[op](x, y)
    except KeyError:
        raise TypeError(f"operator {op} is not allowed in process scripts") from None


def _apply(func, *args, **kwargs):
    return func(*args, **kwargs)


SAFE_BUILTINS: dict[str, object] = {
    "len": len, "str": str, "int": int, "float": float, "bool": bool, "round": round, "abs": abs,
    "min": min, "max": max, "sum": sum, "sorted": sorted, "any": any, "all": all,
    "enumerate": enumerate, "range": _range, "zip": zip, "list": list, "dict": dict, "set": set,
    "tuple": tuple, "isinstance": isinstance, "map": map, "filter": filter, "reversed": reversed,
    "None": None, "True": True, "False": False,
    "ValueError": ValueError, "KeyError": KeyError, "TypeError": TypeError,
    "__import__": _no_import,
}


class ScriptEnvironment(TaskDataEnvironment):
    """A TaskDataEnvironment running model code under RestrictedPython with a CPU time limit.

    `helpers` are the only callables (besides SAFE_BUILTINS) visible to scripts.
    """

    def __init__(self, helpers: Mapping[str, Callable] | None = None, time_limit: float = DEFAULT_TIME_LIMIT):
        helpers = dict(helpers or {})
        bad = [k for k in helpers if not k.isidentifier() or k.startswith("_") or k in DENIED_NAMES]
        if bad:
            raise ValueError(f"invalid helper names: {bad}")
        super().__init__(helpers)
        self.time_limit = float(time_limit)
        self._engine = PythonScriptEngine(environment=self)

    @property
    def helper_names(self) -> set[str]:
        return set(self.globals)

    @property
    def script_engine(self) -> PythonScriptEngine:
        return self._engine

    # -- runtime guards ------------------------------------------------------------------
    def _guards(self) -> dict:
        deadline = time.monotonic() + self.time_limit
        limit = self.time_limit

        def check():
            if time.monotonic() > deadline:
                raise ScriptTimeout(f"script exceeded the time limit of {limit:g} s")

        def getiter(ob):
            it = iter(ob)

            def gen():
                for item in it:
                    check()
                    yield item
            return gen()

        return {
            "__builtins__": SAFE_BUILTINS,
            "_getattr_": safer_getattr,
            "_getitem_": default_guarded_getitem,
            "_getiter_": getiter,
            "_iter_unpack_sequence_": guarded_iter_unpack_sequence,
            "_unpack_sequence_": guarded_unpack_sequence,
            "_write_": _write_guard,
            "_inplacevar_": _inplacevar,
            "_print_": PrintCollector,
            "_apply_": _apply,
            _GUARD: check,
        }

    # -- TaskDataEnvironment API -------------------------------------------------------------
    def evaluate(self, expression, context, external_context=None):
        code = _compile(expression, "eval")
        g = dict(self.globals)
        g.update(external_context or {})
        g.update(context)
        g.update(self._guards())  # last: task data can never replace a guard
        return eval(code, g)

    def execute(self, script, context, external_context=None):
        self.check_for_overwrite(context, external_context or {})
        code = _compile(script, "exec")
        guards = self._guards()
        injected = dict(self.globals)
        injected.update(external_context or {})
        injected.update(guards)
        context.update(injected)
        try:
            exec(code, context)
        finally:
            for k in guards:
                context.pop(k, None)
            context.pop("_print", None)  # RestrictedPython's print collector variable
            self._remove_globals_and_functions_from_context(context, external_context)
        return True

    def call_service(self, context, **kwargs):
        raise NotImplementedError("service tasks are not supported")
