"""Internal notes: staff who may view the case write them (1..4000 characters, audited), listed
oldest first with the author; the complainant can neither write nor read them."""
from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import select

from app import clock
from app.db import db, unit_of_work
from app.errors import InvalidSubmission, NotFound
from app.models import AuditEvent, Case, User
from app.policy import Actor
from app.queries.documents import notes_for_case
from app.services import intake
from app.services.accounts import actor_for
from app.services.case_notes import add_note
from app.services.engine_context import EngineContext
from tests.lifecycle_paths import SAMPLE_COMPLAINT


def _actor(username: str) -> Actor:
    return actor_for(db.session.execute(select(User).where(User.username == username)).scalar_one())


@pytest.fixture
def case_id(app, demo):
    with app.app_context():
        with unit_of_work(db.session):
            reg = intake.register_complaint(EngineContext.load(db.session, clock.now()), _actor("intake_12345"),
                                            SAMPLE_COMPLAINT)
            case_id = reg.case.id
        yield case_id
        db.session.remove()


def _add(actor, case_id, body, now=None, **kw):
    with unit_of_work(db.session):
        return add_note(db.session, now or clock.now(), actor, db.session.get(Case, case_id), body, **kw).id


def test_staff_add_notes_listed_oldest_first_with_author(case_id):
    start = clock.now()
    first = _add(_actor("intake_12345"), case_id, "  已电话联系投诉人，约定周三补充材料。 \n", now=start, task_id="t-1")
    second = _add(_actor("supervisor_city"), case_id, "请加快办理。", now=start + timedelta(minutes=5))
    notes = notes_for_case(db.session, case_id)
    assert [(n["id"], n["body"], n["author_label"], n["task_id"]) for n in notes] == [
        (first, "已电话联系投诉人，约定周三补充材料。", "intake_12345", "t-1"),
        (second, "请加快办理。", "supervisor_city", None)]
    assert notes[0]["org_name"] and notes[0]["created_at"] < notes[1]["created_at"]
    events = db.session.execute(select(AuditEvent).where(AuditEvent.action == "note_added")
                                .order_by(AuditEvent.id)).scalars().all()
    assert [(e.case_id, e.detail["note_id"], e.public) for e in events] == [(case_id, first, False),
                                                                           (case_id, second, False)]


@pytest.mark.parametrize("body,locale,message", [
    ("   \n ", "zh", "请填写备注内容"),
    ("", "en", "write something in the note"),
    (None, "zh", "请填写备注内容"),
    ("字" * 4001, "zh", "备注最多 4000 个字符（当前 4001 个）"),
    ("x" * 4001, "en", "a note may have at most 4000 characters (this one has 4001)"),
])
def test_empty_or_too_long_notes_are_refused_with_a_localised_message(case_id, body, locale, message):
    with pytest.raises(InvalidSubmission) as err:
        _add(_actor("intake_12345"), case_id, body, locale=locale)
    assert err.value.errors == {"body": [message]}
    assert notes_for_case(db.session, case_id) == []


def test_a_note_of_exactly_4000_characters_is_kept(case_id):
    _add(_actor("intake_12345"), case_id, "字" * 4000 + "   ")
    assert len(notes_for_case(db.session, case_id)[0]["body"]) == 4000


@pytest.mark.parametrize("username", ["handler_whgov", "intake_city", "owner"])
def test_staff_who_cannot_view_the_case_cannot_add_notes(case_id, username):
    with pytest.raises(NotFound):
        _add(_actor(username), case_id, "看不到的案件")
    assert notes_for_case(db.session, case_id) == []


def test_the_complainant_cannot_add_notes(case_id):
    with pytest.raises(NotFound):
        _add(Actor.complainant(case_id), case_id, "我是投诉人")
    assert notes_for_case(db.session, case_id) == []
