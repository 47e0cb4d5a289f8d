"""Workflow-engine adapter: the only package that imports SpiffWorkflow or lxml.

Everything returned from here is a plain dataclass or a JSON-compatible dict.
"""
from .lint import lint
from .package import CompiledProcess, ProcessPackage, UserTaskMeta, build_package
from .records import HistoryEntry, ReadyTask, TaskInfo, WaitingTimer
from .runner import Instance, render_instructions
from .script_env import ScriptEnvironment, ScriptTimeout, compile_check
from .serializer import SERIALIZER_VERSION, dump_spec, dump_state, load_spec, load_state
from .timer_values import TIMER_KINDS, NotATimerValue, first_due
from .xml_safety import parse_xml

__all__ = [
    "SERIALIZER_VERSION", "TIMER_KINDS", "CompiledProcess", "HistoryEntry", "Instance", "NotATimerValue",
    "ProcessPackage", "ReadyTask",
    "ScriptEnvironment", "ScriptTimeout", "TaskInfo", "UserTaskMeta", "WaitingTimer", "build_package",
    "compile_check", "dump_spec", "dump_state", "first_due", "lint", "load_spec", "load_state", "parse_xml",
    "render_instructions",
]
