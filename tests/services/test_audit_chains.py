"""The audit trail: one hash chain per case; verification catches edits, gaps and a removed tail."""
from sqlalchemy import delete, select

from app import clock
from app.db import db, unit_of_work
from app.models import AuditEvent
from app.policy import Actor
from app.services import audit
from app.services.audit import verify_chain

ACTOR = Actor.system("test")


def _append(case_id, action):
    with unit_of_work(db.session):
        audit.append(db.session, ACTOR, action, clock.now(), detail={"n": action})


def test_entries_of_different_cases_form_separate_chains(app, client, auth):
    from tests.lifecycle_paths import SAMPLE_COMPLAINT

    first = client.post("/api/v1/complaints", json=SAMPLE_COMPLAINT, headers=auth("intake_12345")).get_json()
    other = {**SAMPLE_COMPLAINT, "contract": {**SAMPLE_COMPLAINT["contract"], "contract_no": "HT-OTHER-1"}}
    second = client.post("/api/v1/complaints", json=other, headers=auth("intake_12345")).get_json()
    with app.app_context():
        events = db.session.execute(select(AuditEvent).where(AuditEvent.case_id.is_not(None))
                                    .order_by(AuditEvent.id)).scalars().all()
        by_chain: dict[str, list[int]] = {}
        for ev in events:
            assert ev.chain == f"case:{ev.case_id}"
            by_chain.setdefault(ev.chain, []).append(ev.seq)
        assert len(by_chain) == 2 and all(seqs == list(range(1, len(seqs) + 1)) for seqs in by_chain.values())
        assert first["case_no"] != second["case_no"]
        assert verify_chain(db.session).ok
        db.session.remove()


def test_an_edited_entry_is_detected(app, demo):
    with app.app_context():
        for action in ("one", "two", "three"):
            _append(None, action)
        with unit_of_work(db.session):
            ev = db.session.execute(select(AuditEvent).where(AuditEvent.action == "two")).scalar_one()
            ev.detail = {"n": "forged"}
        report = verify_chain(db.session)
        assert not report.ok and (report.broken_chain, report.broken_seq) == ("system", 2)
        db.session.remove()


def test_a_removed_tail_is_detected_by_the_chain_head(app, demo):
    with app.app_context():
        for action in ("one", "two", "three"):
            _append(None, action)
        with unit_of_work(db.session):
            db.session.execute(delete(AuditEvent).where(AuditEvent.action == "three"))
        report = verify_chain(db.session)
        assert not report.ok and report.broken_chain == "system"
        db.session.remove()
