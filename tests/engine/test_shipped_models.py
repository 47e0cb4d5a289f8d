"""The shipped models (bpmn/*.bpmn + *.dmn, process `breach_complaint`) walked through every
lifecycle path of tests/lifecycle_paths.py with the engine alone (no database, no services).

Each path runs twice: 'straight' keeps one in-memory Instance for the whole path; 'roundtrip'
dumps the state after every step and loads it again against a freshly restored spec
(dump_spec -> load_spec under a new cache key), as the app does between requests.

Script helpers are the app's own (EngineContext.helpers): the real WorkingCalendar, app.clock and
a Directory snapshot of the demo org list (app.services.demo_seed.ORGS).
"""
from __future__ import annotations

import json
from collections import Counter
from datetime import datetime, timedelta
from functools import cache
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
from tests.drive import complaint_for
from tests.lifecycle_paths import ACCEPT_AND_REFER, PATHS

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


@cache
def form_schema(filename: str) -> dict:
    return json.loads((FORMS_DIR / filename).read_text(encoding="utf-8"))


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
    """Drives one instance through path steps. Collects the thrown events, every user task seen
    READY (spec id -> lane and properties) and the form errors of the path's data."""

    def __init__(self, compiled, spec_json: str, env: ScriptEnvironment, mode: str, traveller):
        assert mode in MODES
        self.compiled, self.spec_json, self.env, self.mode = compiled, spec_json, env, mode
        self.traveller = traveller
        self.events: list[dict] = []
        self.ready_seen: dict[str, tuple[str | None, dict]] = {}
        self.form_errors: dict[str, dict] = {}
        self.inst: Instance | None = None

    def _fresh_spec(self):
        return load_spec(self.spec_json, cache_key=f"test-shipped-models-{next(_spec_keys)}")

    def start(self, data: dict) -> None:
        spec = self._fresh_spec() if self.mode == "roundtrip" else self.compiled
        self.inst = Instance.start(spec, data, self.env)
        self._after_step()

    def _after_step(self) -> None:
        self.events.extend(self.inst.drain_events())  # before dump(): undrained events are persisted
        for task in self.inst.ready_tasks():
            self.ready_seen[task.spec_id] = (task.lane, task.properties)
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
        assert len(matching) == 1, f"expected one ready {spec_id}; ready: {[t.spec_id for t in ready]}"
        [task] = matching
        form = task.properties.get("formJsonSchemaFilename", "")
        try:
            validate(form_schema(form), data, org_codes=ORG_CODES)
        except (InvalidSubmission, OSError) as e:
            self.form_errors[f"{spec_id} ({form})"] = getattr(e, "errors", None) or {"": [str(e)]}
        self.inst.complete_task(task.id, data)

    def fire_timer(self, spec_id: str) -> None:
        waiting = {t.spec_id: t for t in self.inst.waiting_timers()}
        assert spec_id in waiting, f"timer {spec_id} is not waiting; waiting: {sorted(waiting)}"
        timer = waiting[spec_id]
        self.traveller.move_to(timer.due_at + timedelta(minutes=1))
        self.inst.advance()
        assert all(t.task_id != timer.task_id or t.due_at > timer.due_at
                   for t in self.inst.waiting_timers()), f"timer {spec_id} did not fire"

    def withdraw(self, payload: dict) -> None:
        self.inst.send_message("complaint_withdrawn", payload)

    def signal_counts(self) -> Counter:
        return Counter(e["name"] for e in self.events if e["type"] == "signal")


def walk(compiled, spec_json, env, mode: str, path: dict, steps=None) -> Walker:
    with time_machine.travel(START, tick=False) as traveller:
        walker = Walker(compiled, spec_json, env, mode, traveller)
        walker.start(initial_data(complaint_for(path)))
        for step in path["steps"] if steps is None else steps:
            walker.run(step)
    return walker


PATH_CASES = [pytest.param(name, mode, id=f"{name}-{mode}") for name in PATHS for mode in MODES]


@pytest.fixture(scope="module")
def walked(compiled, spec_json, app_env):
    """Each (path, mode) is walked once per module and shared by the tests below."""
    cache: dict[tuple[str, str], Walker] = {}

    def get(name: str, mode: str) -> Walker:
        if (name, mode) not in cache:
            cache[(name, mode)] = walk(compiled, spec_json, app_env, mode, PATHS[name])
        return cache[(name, mode)]
    return get


def _paths_with(step_key: str, value=None) -> list[str]:
    return [name for name, path in PATHS.items()
            if any(step_key in s and (value is None or s[step_key] == value) for s in path["steps"])]


# ---------------------------------------------------------------------------- tests
def test_scripts_get_exactly_the_app_helpers(app_env):
    assert app_env.helper_names == set(HELPER_NAMES)


@pytest.mark.parametrize("name, mode", PATH_CASES)
def test_path_completes_with_its_outcome(walked, name, mode):
    inst = walked(name, mode).inst
    assert inst.is_completed
    assert inst.data["outcome"] == PATHS[name]["outcome"]


@pytest.mark.parametrize("name, mode", PATH_CASES)
def test_completed_path_leaves_nothing_ready_or_waiting(walked, name, mode):
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
def test_ready_user_tasks_have_a_role_lane_a_form_and_a_stage(walked, name, mode):
    bad = {spec_id: (lane, props) for spec_id, (lane, props) in walked(name, mode).ready_seen.items()
           if lane not in LANES or not props.get("formJsonSchemaFilename") or props.get("stage") not in STAGES}
    assert bad == {}


@pytest.mark.parametrize("name, mode", PATH_CASES)
def test_path_form_data_validates_against_the_task_form(walked, name, mode):
    assert walked(name, mode).form_errors == {}


def test_every_shipped_user_task_becomes_ready_on_some_path(walked, package):
    """So the lane/form/stage checks on ready tasks cover every user task of the shipped models."""
    reached = set().union(*(walked(name, "straight").ready_seen for name in PATHS))
    every = {meta.spec_id for meta in package.user_tasks(PROCESS_ID)}
    assert every and every - reached == set()


@pytest.mark.parametrize("name", _paths_with("fire_timer", "rectify_reminder_timer"))
def test_each_reminder_firing_throws_one_rectification_reminder(walked, name):
    fired = sum(1 for s in PATHS[name]["steps"] if s.get("fire_timer") == "rectify_reminder_timer")
    assert walked(name, "roundtrip").signal_counts()["rectification_reminder"] == fired


@pytest.mark.parametrize("name", _paths_with("withdraw"))
def test_withdrawal_payload_arrives_as_withdrawal(walked, name):
    [payload] = [s["withdraw"] for s in PATHS[name]["steps"] if "withdraw" in s]
    assert walked(name, "roundtrip").inst.data["withdrawal"] == payload


@pytest.mark.parametrize("name, handling_org, supervising_org", [
    ("rectified", "HY-GOV", "HY-CREDIT"),  # county agency: its county government; county credit office
    ("public_institution_respondent", "BB-DATA", "BB-CREDIT"),  # public institution: its competent agency
    ("misroute_return_then_unfounded", "BB-HOUSING", "HY-CREDIT"),  # returned and rerouted by intake
])
def test_routing_scripts_resolve_orgs_through_the_directory(walked, name, handling_org, supervising_org):
    data = walked(name, "roundtrip").inst.data
    assert (data["handling_org"], data["supervising_org"]) == (handling_org, supervising_org)


@pytest.mark.parametrize("name, deadline", [
    ("rectified", "2026-03-30T23:59:59+08:00"),  # 20 workdays after Mon 2 March 2026
    # extended by 5 workdays on 31 March: skips the Qingming holiday (4-6 April 2026)
    ("rectification_overdue_extended_then_rectified", "2026-04-08T23:59:59+08:00"),
])
def test_rectification_deadline_follows_the_working_day_calendar(walked, name, deadline):
    assert walked(name, "roundtrip").inst.data["rectify_deadline"] == deadline


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
