"""The shipped models (bpmn/*.bpmn + *.dmn, process `breach_complaint`) walked through every
lifecycle path of tests/lifecycle_paths.py with the engine alone (no database, no services).

Each path runs twice: 'straight' keeps one in-memory Instance for the whole path; 'roundtrip'
dumps the state after every step and loads it again against a freshly restored spec
(dump_spec -> load_spec under a new cache key), as the app does between requests.

Script helpers are the app's own (EngineContext.helpers): the real WorkingCalendar, app.clock and
a Directory snapshot of the demo org list (app.services.demo_seed.ORGS).
"""
from __future__ import annotations

import copy
import json
from collections import Counter
from datetime import datetime, timedelta
from functools import lru_cache
from itertools import count
from pathlib import Path

import pytest
import time_machine

from app import clock
from app.calendar import WorkingCalendar
from app.engine import Instance, ScriptEnvironment, build_package, dump_spec, load_spec
from app.errors import InvalidSubmission
from app.services.demo_seed import ORGS
from app.services.directory import Directory, OrgEntry
from app.services.engine_context import HELPER_NAMES, EngineContext
from app.task_forms import validate
from tests.lifecycle_paths import ACCEPT_AND_REFER, PATHS, SAMPLE_COMPLAINT

ROOT = Path(__file__).resolve().parents[2]
BPMN_DIR = ROOT / "bpmn"
FORMS_DIR = ROOT / "forms"
PROCESS_ID = "breach_complaint"
START = datetime.fromisoformat("2026-03-02T09:00:00+08:00")  # a Monday; chinesecalendar covers 2026
STEP_GAP = timedelta(hours=2)  # time passing between two user actions
ACCEPTING_ORG = "BB-12345"  # the 12345 hotline files the complaint (as tests/drive.py does)

LANES = {"intake_officer", "handler", "supervisor", "complainant"}
STAGES = {"intake", "referral", "verification", "explanation", "rectification", "settlement", "dispute",
          "determination", "sanction", "repair", "follow_up"}  # docs/modelling.md
BREACH_SIGNALS = ("breach_determined", "credit_repaired")
MODES = ("straight", "roundtrip")

# ---------------------------------------------------------------------------- environment
DIRECTORY = Directory([
    OrgEntry(id=i, code=code, name=name, kind=kind, level=level, region_code=region, superior_code=superior,
             competent_code=competent, is_credit_office=credit_office)
    for i, (code, name, kind, level, region, superior, competent, credit_office, _accepts) in enumerate(ORGS, start=1)
])
ORG_CODES = frozenset(DIRECTORY.by_code)


def app_helpers() -> dict:
    # EngineContext.helpers() needs only the calendar and the directory (no session)
    ctx = EngineContext(session=None, now=clock.now(), directory=DIRECTORY, calendar=WorkingCalendar())
    helpers = ctx.helpers()
    assert set(helpers) == HELPER_NAMES
    return helpers


@pytest.fixture(scope="module")
def app_env() -> ScriptEnvironment:
    return ScriptEnvironment(app_helpers(), time_limit=2.0)


@pytest.fixture(scope="module")
def package():
    return build_package({p.name: p.read_bytes() for p in sorted(BPMN_DIR.glob("*.bpmn"))},
                         {p.name: p.read_bytes() for p in sorted(BPMN_DIR.glob("*.dmn"))})


@pytest.fixture(scope="module")
def compiled(package):
    return package.compile(PROCESS_ID)


@pytest.fixture(scope="module")
def spec_json(compiled) -> str:
    return dump_spec(compiled)


@lru_cache(maxsize=None)
def form_schema(filename: str) -> dict:
    return json.loads((FORMS_DIR / filename).read_text(encoding="utf-8"))


def complaint_for(path: dict) -> dict:
    data = copy.deepcopy(SAMPLE_COMPLAINT)
    for key, value in (path.get("complaint") or {}).items():
        if isinstance(value, dict) and isinstance(data.get(key), dict):
            data[key].update(value)
        else:
            data[key] = value
    return data


def initial_data(complaint: dict) -> dict:
    """What app.services.intake.register_complaint hands to the process at start."""
    respondent = DIRECTORY.get(complaint["respondent"]["org_code"])
    contract = complaint.get("contract") or {}
    return {
        "case_no": "BB-2026-000042",
        "received_at": clock.local(clock.now()).isoformat(timespec="seconds"),
        "channel": complaint["channel"],
        "accepting_org": ACCEPTING_ORG,
        "respondent_org": respondent.code,
        "respondent": {"name": respondent.name, "kind": respondent.kind, "level": respondent.level,
                       "region_code": respondent.region_code},
        "complainant_kind": complaint["complainant"]["kind"],
        "complainant_name": complaint["complainant"]["name"],
        "amount_claimed": contract.get("amount_claimed"),
        "scope_area": contract.get("scope_area", "other"),
        "contract_title": contract.get("title", ""),
    }


# ---------------------------------------------------------------------------- the walker
_spec_keys = count()


class Walker:
    """Drives one instance through path steps; collects thrown events and checks ready tasks."""

    def __init__(self, compiled, spec_json: str, env: ScriptEnvironment, mode: str, traveller):
        assert mode in MODES
        self.compiled, self.spec_json, self.env, self.mode = compiled, spec_json, env, mode
        self.traveller = traveller
        self.events: list[dict] = []
        self.ready_seen: dict[str, dict] = {}  # spec_id -> properties, every user task that was ever READY
        self.inst: Instance | None = None

    def _fresh_spec(self):
        return load_spec(self.spec_json, cache_key=f"test-shipped-models-{next(_spec_keys)}")

    def start(self, data: dict) -> None:
        spec = self._fresh_spec() if self.mode == "roundtrip" else self.compiled
        self.inst = Instance.start(spec, data, self.env)
        self._after_step()

    def _after_step(self) -> None:
        self.events.extend(self.inst.drain_events())
        for task in self.inst.ready_tasks():
            self.ready_seen[task.spec_id] = task.properties
            assert task.lane in LANES, f"{task.spec_id}: lane {task.lane!r}"
            assert "formJsonSchemaFilename" in task.properties, task.spec_id
            assert task.properties.get("stage") in STAGES, f"{task.spec_id}: stage {task.properties.get('stage')!r}"
        if self.mode == "roundtrip":
            state = self.inst.dump()
            self.inst = Instance.load(self._fresh_spec(), state, self.env)
        self.traveller.shift(STEP_GAP)

    def run(self, step: dict) -> None:
        if "task" in step:
            self.complete(step["task"], step.get("data", {}))
        elif "fire_timer" in step:
            self.fire_timer(step["fire_timer"])
        elif "withdraw" in step:
            self.withdraw(step["withdraw"])
        else:  # pragma: no cover - a malformed path file
            raise AssertionError(f"unknown step {step}")
        self._after_step()

    def complete(self, spec_id: str, data: dict) -> None:
        ready = self.inst.ready_tasks()
        matching = [t for t in ready if t.spec_id == spec_id]
        assert len(matching) == 1, f"{spec_id} is not the one ready task with that id; ready: {[t.spec_id for t in ready]}"
        [task] = matching
        form = task.properties["formJsonSchemaFilename"]
        try:
            validate(form_schema(form), data, org_codes=ORG_CODES)
        except InvalidSubmission as e:
            pytest.fail(f"path data for {spec_id} is invalid against forms/{form}: {e.errors}")
        self.inst.complete_task(task.id, data)

    def fire_timer(self, spec_id: str) -> None:
        waiting = [t for t in self.inst.waiting_timers() if t.spec_id == spec_id]
        assert waiting, f"timer {spec_id} is not waiting; waiting: {[t.spec_id for t in self.inst.waiting_timers()]}"
        timer = waiting[0]
        self.traveller.move_to(timer.due_at + timedelta(minutes=1))
        self.inst.advance()
        assert all(t.task_id != timer.task_id or t.due_at > timer.due_at
                   for t in self.inst.waiting_timers()), f"timer {spec_id} did not fire"

    def withdraw(self, payload: dict) -> None:
        assert "complaint_withdrawn" in self.inst.waiting_messages()
        self.inst.send_message("complaint_withdrawn", payload)

    def signal_counts(self) -> Counter:
        return Counter(e["name"] for e in self.events if e["type"] == "signal")


def walk(compiled, spec_json, env, mode, path: dict, steps=None) -> Walker:
    with time_machine.travel(START, tick=False) as traveller:
        walker = Walker(compiled, spec_json, env, mode, traveller)
        walker.start(initial_data(complaint_for(path)))
        for step in path["steps"] if steps is None else steps:
            walker.run(step)
    return walker


PATH_CASES = [pytest.param(name, mode, id=f"{name}-{mode}") for name in PATHS for mode in MODES]


@pytest.fixture(scope="module")
def walked(compiled, spec_json, app_env):
    """Each (path, mode) is walked once and shared by the assertions below."""
    cache: dict[tuple[str, str], Walker] = {}

    def get(name: str, mode: str) -> Walker:
        if (name, mode) not in cache:
            cache[(name, mode)] = walk(compiled, spec_json, app_env, mode, PATHS[name])
        return cache[(name, mode)]
    return get


# ---------------------------------------------------------------------------- tests
def test_app_helpers_are_the_ones_scripts_may_call(app_env):
    assert app_env.helper_names == set(HELPER_NAMES)


@pytest.mark.parametrize("name, mode", PATH_CASES)
def test_path_completes_with_its_outcome(walked, name, mode):
    inst = walked(name, mode).inst
    assert inst.is_completed
    assert inst.data["outcome"] == PATHS[name]["outcome"]


@pytest.mark.parametrize("name, mode", PATH_CASES)
def test_path_leaves_nothing_ready_or_waiting(walked, name, mode):
    inst = walked(name, mode).inst
    assert inst.ready_tasks() == []
    assert inst.waiting_timers() == []
    assert inst.waiting_messages() == []


@pytest.mark.parametrize("name, mode", PATH_CASES)
def test_path_throws_case_closed_exactly_once(walked, name, mode):
    assert walked(name, mode).signal_counts()["case_closed"] == 1


@pytest.mark.parametrize("name, mode", PATH_CASES)
def test_breach_signals_are_thrown_once_exactly_on_breach_repaired_paths(walked, name, mode):
    signals = walked(name, mode).signal_counts()
    expected = 1 if PATHS[name]["outcome"] == "breach_repaired" else 0
    assert {s: signals[s] for s in BREACH_SIGNALS} == {s: expected for s in BREACH_SIGNALS}


@pytest.mark.parametrize("name, mode", PATH_CASES)
def test_every_task_step_met_a_ready_user_task_with_a_form(walked, name, mode):
    seen = walked(name, mode).ready_seen
    for step in PATHS[name]["steps"]:
        if "task" in step:
            assert seen[step["task"]]["formJsonSchemaFilename"] == f"{step['task']}.schema.json"


def test_every_shipped_user_task_becomes_ready_on_some_path(walked, package):
    """So the lane/property checks made on ready tasks cover every user task of the shipped models."""
    reached = set()
    for name in PATHS:
        reached |= set(walked(name, "straight").ready_seen)
    every = {meta.spec_id for meta in package.user_tasks(PROCESS_ID)}
    assert every and every - reached == set()


@pytest.mark.parametrize("mode", MODES)
def test_element_states_mark_verify_ready_and_passed_elements_completed(compiled, spec_json, app_env, mode):
    walker = walk(compiled, spec_json, app_env, mode, {"complaint": {}}, steps=ACCEPT_AND_REFER)
    assert [t.spec_id for t in walker.inst.ready_tasks()] == ["verify"]
    states = walker.inst.element_states()
    assert states["verify"] == "ready"
    for done in ("start", "init_case", "triage", "route_complaint", "resolve_orgs", "receive_referral"):
        assert states[done] == "completed", done
    assert states["call_verification"] == "waiting" and states["case_handling"] == "waiting"
    assert "explain_to_complainant" not in states and "follow_up_visit" not in states
