"""A complaint driven to its `verify` task (the handler's 10-working-day clock), time under control."""
from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta

import pytest
from sqlalchemy import select

from app import clock
from app.db import db, unit_of_work
from app.models import Case, Escalation, Notification, ReadyTask, User
from app.services.engine_context import EngineContext
from app.services.escalation import run_escalations
from tests.drive import ServiceDriver, complaint_for, ready, travel
from tests.lifecycle_paths import RECEIVE_ACCEPT, TRIAGE_ACCEPT


@dataclass
class Verification:
    driver: ServiceDriver
    traveller: object
    case_no: str

    @property
    def case(self) -> Case:
        return self.driver.case(self.case_no)

    def task(self) -> ReadyTask:
        db.session.expire_all()
        return ready(self.case.id, "verify")

    def ctx(self) -> EngineContext:
        return EngineContext.load(db.session, clock.now())

    def move_to(self, moment, minutes: int = 1) -> None:
        """Move to `minutes` after `moment` (negative: before) and release the test's transaction."""
        db.session.rollback()
        self.traveller.move_to(moment + timedelta(minutes=minutes))

    def escalate(self, passes: int = 1, after_workdays: int = 3) -> int:
        """Run the escalation pass `passes` times at this moment, each in its own transaction."""
        fired = 0
        for _ in range(passes):
            with unit_of_work(db.session):
                fired += run_escalations(self.ctx(), after_workdays)
        return fired

    def kinds(self) -> list[str]:
        task = self.task()
        return list(db.session.execute(select(Escalation.kind).where(Escalation.task_id == task.id)
                                       .order_by(Escalation.id)).scalars())

    def notifications_of(self, username: str) -> list[Notification]:
        user = db.session.execute(select(User).where(User.username == username)).scalar_one()
        return list(db.session.execute(select(Notification).where(Notification.user_id == user.id)
                                       .order_by(Notification.id)).scalars())

    def user_id(self, username: str) -> int:
        return db.session.execute(select(User.id).where(User.username == username)).scalar_one()

    def handler_username(self) -> str:
        task = self.task()
        return db.session.execute(select(User.username).where(User.role == "handler", User.org_id == task.org_id)
                                  .order_by(User.id)).scalars().first()


@pytest.fixture
def verification(app, demo):
    with app.app_context(), travel() as traveller:
        driver = ServiceDriver(traveller)
        case_no, _code = driver.file(complaint_for({}))
        driver.complete(case_no, "triage", TRIAGE_ACCEPT["data"])
        driver.complete(case_no, "receive_referral", RECEIVE_ACCEPT["data"])
        db.session.rollback()
        yield Verification(driver, traveller, case_no)
        db.session.remove()


def task_facts(v: Verification) -> dict:
    """The verify task's id and due date, read and released (the API must not wait on our lock)."""
    task = v.task()
    facts = {"id": task.id, "due_at": clock.as_utc(task.due_at), "org_id": task.org_id, "created_at": task.created_at}
    db.session.rollback()
    return facts
