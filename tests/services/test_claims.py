"""Claims (认领): only the task's assignees claim, a claim held by someone else is a conflict naming
them, only the holder (or a supervisor of the region) releases it, and only the holder completes."""
from __future__ import annotations

import pytest
from sqlalchemy import func, select

from app import clock
from app.db import db, unit_of_work
from app.errors import Conflict, NotAllowed, NotFound
from app.models import AuditEvent, ReadyTask, TaskLog, User
from app.policy import Actor, can_claim_task, can_release_claim
from app.services import intake, tasks
from app.services.accounts import actor_for, create_user
from app.services.claims import claim_task, unclaim_task
from app.services.engine_context import EngineContext
from tests.lifecycle_paths import SAMPLE_COMPLAINT

ACCEPT = {"intake_decision": "accept"}


def _user(username: str, role: str | None = None, org_code: str | None = None, display_name: str | None = None):
    user = db.session.execute(select(User).where(User.username == username)).scalar_one_or_none()
    if user is None:  # extra colleagues are created once per session (users are kept between tests)
        with unit_of_work(db.session):
            create_user(db.session, clock.now(), username, "a-long-password-1", role, org_code,
                        display_name=display_name)
        user = db.session.execute(select(User).where(User.username == username)).scalar_one()
    return user


def _actor(username: str) -> Actor:
    return actor_for(_user(username))


@pytest.fixture
def env(app, demo):
    with app.app_context():
        _user("intake_12345_b", "intake_officer", "BB-12345", display_name="张敏")
        _user("supervisor_wh", "supervisor", "WH-CREDIT")
        yield
        db.session.remove()


@pytest.fixture
def triage(env) -> ReadyTask:
    with unit_of_work(db.session):
        reg = intake.register_complaint(EngineContext.load(db.session, clock.now()), _actor("intake_12345"),
                                        SAMPLE_COMPLAINT)
        task = db.session.execute(select(ReadyTask).where(ReadyTask.case_id == reg.case.id)).scalar_one()
    assert (task.spec_id, task.role) == ("triage", "intake_officer")
    return task


def _claim(username, task_id):
    with unit_of_work(db.session):
        return claim_task(db.session, clock.now(), _actor(username), task_id).claimed_by_id


def _unclaim(username, task_id):
    with unit_of_work(db.session):
        return unclaim_task(db.session, clock.now(), _actor(username), task_id).claimed_by_id


def _audit_count(action: str) -> int:
    return db.session.execute(select(func.count()).select_from(AuditEvent).where(AuditEvent.action == action)).scalar()


def test_an_assignee_claims_a_task_once_and_it_is_audited(triage):
    me = _user("intake_12345").id
    assert _claim("intake_12345", triage.id) == me
    assert _claim("intake_12345", triage.id) == me  # again: nothing changes
    assert db.session.get(ReadyTask, triage.id).claimed_by_id == me
    event = db.session.execute(select(AuditEvent).where(AuditEvent.action == "task_claimed")).scalar_one()
    assert event.case_id == triage.case_id and event.detail["task_id"] == triage.id


def test_a_task_claimed_by_someone_else_is_a_conflict_naming_the_holder(triage):
    _claim("intake_12345_b", triage.id)
    with pytest.raises(Conflict) as err:
        _claim("intake_12345", triage.id)
    assert "张敏（intake_12345_b）" in err.value.message and err.value.details["holder"] == "张敏（intake_12345_b）"
    assert db.session.get(ReadyTask, triage.id).claimed_by_id == _user("intake_12345_b").id


@pytest.mark.parametrize("username", ["handler_whgov", "intake_city", "supervisor_city", "admin"])
def test_those_who_cannot_act_on_the_task_cannot_claim_it_as_if_it_did_not_exist(triage, username):
    with pytest.raises(NotFound):
        _claim(username, triage.id)
    assert db.session.get(ReadyTask, triage.id).claimed_by_id is None


def test_unknown_tasks_and_the_complainant_cannot_be_claimed(triage):
    with pytest.raises(NotFound):
        _claim("intake_12345", "no-such-task")
    with unit_of_work(db.session), pytest.raises(NotFound):
        claim_task(db.session, clock.now(), Actor.complainant(triage.case_id), triage.id)


def test_only_the_holder_releases_their_claim(triage):
    _claim("intake_12345_b", triage.id)
    with pytest.raises(NotAllowed) as err:
        _unclaim("intake_12345", triage.id)
    assert "张敏（intake_12345_b）" in err.value.message
    assert _unclaim("intake_12345_b", triage.id) is None
    event = db.session.execute(select(AuditEvent).where(AuditEvent.action == "task_unclaimed")).scalar_one()
    assert event.detail["by_holder"] is True and event.detail["released_user_id"] == _user("intake_12345_b").id
    assert _unclaim("intake_12345_b", triage.id) is None  # releasing an unclaimed task changes nothing
    assert _audit_count("task_unclaimed") == 1


@pytest.mark.parametrize("supervisor", ["supervisor_hy", "supervisor_city"])
def test_a_supervisor_of_the_region_releases_anyones_claim(triage, supervisor):
    _claim("intake_12345", triage.id)
    assert _unclaim(supervisor, triage.id) is None
    event = db.session.execute(select(AuditEvent).where(AuditEvent.action == "task_unclaimed")).scalar_one()
    assert event.actor_label == supervisor and event.detail["by_holder"] is False


@pytest.mark.parametrize("username", ["supervisor_wh", "handler_whgov"])
def test_outsiders_cannot_release_a_claim(triage, username):
    _claim("intake_12345", triage.id)
    with pytest.raises(NotFound):
        _unclaim(username, triage.id)
    assert db.session.get(ReadyTask, triage.id).claimed_by_id == _user("intake_12345").id


def _complete(username, task_id):
    with unit_of_work(db.session):
        tasks.complete_task(EngineContext.load(db.session, clock.now()), _actor(username), task_id, ACCEPT)


def test_a_claimed_task_is_completed_by_its_holder_only(triage):
    _claim("intake_12345_b", triage.id)
    with pytest.raises(NotAllowed) as err:
        _complete("intake_12345", triage.id)
    assert "张敏（intake_12345_b）" in err.value.message and "认领" in err.value.message
    assert db.session.get(ReadyTask, triage.id) is not None  # nothing was written
    _complete("intake_12345_b", triage.id)
    log = db.session.execute(select(TaskLog).where(TaskLog.task_id == triage.id)).scalar_one()
    assert log.completed_by_label == "intake_12345_b"


def test_an_unclaimed_task_is_completed_by_any_assignee(triage):
    _complete("intake_12345_b", triage.id)
    assert db.session.execute(select(TaskLog).where(TaskLog.task_id == triage.id)).scalar_one().state == "completed"


def test_released_claims_let_a_colleague_complete(triage):
    _claim("intake_12345_b", triage.id)
    _unclaim("supervisor_hy", triage.id)
    _complete("intake_12345", triage.id)
    assert db.session.get(ReadyTask, triage.id) is None


def test_claim_policy_never_lets_a_complainant_task_be_claimed():
    staff = Actor(kind="staff", label="x", user_id=1, role="handler", org_id=5, region_code="340300")
    complainant_task = type("T", (), {"role": "complainant", "org_id": None, "case_id": 3, "claimed_by_id": None})()
    handler_task = type("T", (), {"role": "handler", "org_id": 5, "case_id": 3, "claimed_by_id": None})()
    assert not can_claim_task(Actor.complainant(3), complainant_task)
    assert not can_claim_task(staff, complainant_task)
    assert can_claim_task(staff, handler_task)
    assert not can_release_claim(staff, handler_task, None)  # nothing to release
