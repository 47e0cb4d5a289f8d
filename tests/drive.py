"""Drive lifecycle paths (tests/lifecycle_paths.py) through the services or through the HTTP API."""
from __future__ import annotations

import copy
from datetime import timedelta

import time_machine
from sqlalchemy import select

from app import clock
from app.db import db, unit_of_work
from app.models import Case, ReadyTask, Timer, User
from app.policy import Actor
from app.services import intake, tasks, timers, withdrawal
from app.services.accounts import actor_for
from app.services.engine_context import EngineContext
from tests.lifecycle_paths import SAMPLE_COMPLAINT

START = "2026-03-02T09:00:00+08:00"


def complaint_for(path: dict) -> dict:
    data = copy.deepcopy(SAMPLE_COMPLAINT)
    for key, value in (path.get("complaint") or {}).items():
        if isinstance(value, dict) and isinstance(data.get(key), dict):
            data[key].update(value)
        else:
            data[key] = value
    return data


def staff_actor_for(task: ReadyTask) -> Actor:
    user = db.session.execute(
        select(User).where(User.role == task.role, User.org_id == task.org_id).order_by(User.id)
    ).scalars().first()
    assert user is not None, f"no demo user with role {task.role} in org {task.org_id} for {task.spec_id}"
    return actor_for(user)


def ready(case_id: int, spec_id: str) -> ReadyTask:
    rows = db.session.execute(select(ReadyTask).where(ReadyTask.case_id == case_id)).scalars().all()
    match = [t for t in rows if t.spec_id == spec_id]
    assert match, f"{spec_id} is not ready; ready: {[t.spec_id for t in rows]}"
    return match[0]


class ServiceDriver:
    """Each step is one transaction, like a request."""

    def __init__(self, traveller):
        self.traveller = traveller

    def ctx(self) -> EngineContext:
        return EngineContext.load(db.session, clock.now())

    def file(self, data: dict, username: str = "intake_12345") -> tuple[str, str]:
        with unit_of_work(db.session):
            user = db.session.execute(select(User).where(User.username == username)).scalar_one()
            result = intake.register_complaint(self.ctx(), actor_for(user), data)
            return result.case.case_no, result.query_code

    def case(self, case_no: str) -> Case:
        return db.session.execute(select(Case).where(Case.case_no == case_no).execution_options(populate_existing=True)).scalar_one()

    def complete(self, case_no: str, spec_id: str, data: dict) -> None:
        with unit_of_work(db.session):
            case = self.case(case_no)
            task = ready(case.id, spec_id)
            actor = Actor.complainant(case.id) if task.role == "complainant" else staff_actor_for(task)
            tasks.complete_task(self.ctx(), actor, task.id, data)
        self.traveller.shift(timedelta(hours=2))

    def fire_timer(self, case_no: str, spec_id: str) -> None:
        with unit_of_work(db.session):
            case = self.case(case_no)
            timer = db.session.execute(select(Timer).where(
                Timer.case_id == case.id, Timer.spec_id == spec_id, Timer.fired_at.is_(None))).scalars().first()
            assert timer is not None, f"timer {spec_id} is not waiting"
            due, instance_id = timer.due_at, case.instance_id
        self.traveller.move_to(due + timedelta(minutes=1))
        with unit_of_work(db.session):
            fired = timers.fire_due_timers(self.ctx(), instance_id)
        assert spec_id in fired

    def withdraw(self, case_no: str, reason: str) -> None:
        with unit_of_work(db.session):
            case = self.case(case_no)
            withdrawal.withdraw(self.ctx(), Actor.complainant(case.id), case, reason)


def run_path(driver, path: dict) -> str:
    case_no, _code = driver.file(complaint_for(path))
    for step in path["steps"]:
        if "task" in step:
            driver.complete(case_no, step["task"], step.get("data", {}))
        elif "fire_timer" in step:
            driver.fire_timer(case_no, step["fire_timer"])
        elif "withdraw" in step:
            driver.withdraw(case_no, step["withdraw"].get("reason", ""))
        else:  # pragma: no cover - a malformed path file
            raise AssertionError(f"unknown step {step}")
    return case_no


def travel():
    return time_machine.travel(START, tick=True)
