"""Outbox delivery after commit: credit-platform events over HTTP, e-mail over SMTP, internal events
marked delivered; a failed send backs off and, after N attempts, flags the case."""
from datetime import datetime, timedelta

import time_machine
from sqlalchemy import select

from app.db import db, unit_of_work
from app.models import AuditEvent, Case, OutboxMessage
from app.scheduler.job_env import JobEnv
from app.scheduler.outbox_delivery import deliver_outbox

NOW = datetime.fromisoformat("2026-03-02T10:00:00+08:00")


def queue(topic: str, payload: dict, case_id=None) -> int:
    with unit_of_work(db.session):
        row = OutboxMessage(created_at=NOW, topic=topic, case_id=case_id, payload=payload, next_attempt_at=NOW)
        db.session.add(row)
        db.session.flush()
        return row.id


def deliver(app, at=NOW) -> int:
    with time_machine.travel(at, tick=False):
        return deliver_outbox(JobEnv(db.session, app.extensions["lvyue.settings"]))


def row(message_id: int) -> OutboxMessage:
    found = db.session.execute(select(OutboxMessage).where(OutboxMessage.id == message_id)
                               .execution_options(populate_existing=True)).scalar_one()
    db.session.rollback()
    return found


def test_a_breach_determination_is_posted_to_the_credit_platform_with_the_bearer_token(sched, credit_platform):
    message_id = queue("breach_determined", {"event": "breach_determined", "case_no": "BB-2026-000001"})
    assert deliver(sched) == 1
    [(headers, body)] = credit_platform.received
    assert headers["Authorization"] == "Bearer platform-token-123"
    assert headers["Idempotency-Key"] == f"lvyue-outbox-{message_id}"
    assert body["topic"] == "breach_determined" and body["payload"]["case_no"] == "BB-2026-000001"
    assert row(message_id).delivered_at is not None
    assert deliver(sched, NOW + timedelta(minutes=5)) == 0 and len(credit_platform.received) == 1


def test_a_refused_post_backs_off_and_after_the_last_attempt_flags_the_case(sched, credit_platform, make_case,
                                                                            settings, monkeypatch):
    monkeypatch.setattr(settings, "max_attempts", 2)
    credit_platform.status = 503
    with unit_of_work(db.session):
        case_id = make_case().id
    message_id = queue("credit_repaired", {"event": "credit_repaired"}, case_id=case_id)
    assert deliver(sched) == 0
    failed = row(message_id)
    assert (failed.attempts, failed.delivered_at, failed.last_error) == (1, None, "credit platform answered HTTP 503")
    assert failed.next_attempt_at == NOW + timedelta(seconds=30)
    deliver(sched, NOW + timedelta(seconds=10))
    assert len(credit_platform.received) == 1  # backing off: not sent again yet
    deliver(sched, NOW + timedelta(seconds=31))
    assert row(message_id).attempts == 2 and len(credit_platform.received) == 2
    case = db.session.execute(select(Case).where(Case.id == case_id)).scalar_one()
    assert case.needs_attention and "credit_repaired" in case.attention_reason
    assert db.session.execute(select(AuditEvent.action).where(AuditEvent.action == "outbox_failed")).scalar_one()
    credit_platform.status = 200
    assert deliver(sched, NOW + timedelta(minutes=2)) == 1


def test_an_email_row_is_sent_through_the_smtp_server(sched, smtp_server, settings):
    message_id = queue("email", {"to": ["duban@example.gov.cn"], "subject": "督办通知 BB-2026-000001",
                                 "body": "请于三个工作日内答复。"})
    assert deliver(sched) == 1
    [envelope] = smtp_server
    assert envelope.rcpt_tos == ["duban@example.gov.cn"] and envelope.mail_from == settings.smtp_sender
    text = envelope.content.decode()
    assert "Subject: =?utf-8?" in text  # non-ASCII subject encoded
    assert row(message_id).delivered_at is not None


def test_an_unreachable_smtp_server_is_a_recorded_failure(sched, settings, monkeypatch):
    import socket

    with socket.socket() as s:  # a port nobody listens on
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    monkeypatch.setattr(settings, "smtp_host", "127.0.0.1")
    monkeypatch.setattr(settings, "smtp_port", port)
    message_id = queue("email", {"to": "a@example.gov.cn", "subject": "s", "body": "b"})
    assert deliver(sched) == 0
    failed = row(message_id)
    assert failed.attempts == 1 and failed.last_error.startswith("SMTP 127.0.0.1")


def test_internal_events_are_marked_delivered_without_sending_anything(sched, credit_platform):
    message_id = queue("case_closed", {"event": "case_closed"})
    assert deliver(sched) == 1
    assert credit_platform.received == [] and row(message_id).delivered_at is not None


def test_internal_events_are_marked_in_bulk_and_outside_ones_still_sent_one_by_one(sched, credit_platform):
    from app.scheduler.outbox_delivery import BATCH

    with unit_of_work(db.session):
        db.session.add_all([OutboxMessage(created_at=NOW, topic="deadline_missed", payload={"n": i}, next_attempt_at=NOW)
                            for i in range(BATCH + 7)])
    posted = queue("breach_determined", {"event": "breach_determined"})
    later = queue("case_closed", {"event": "case_closed"})
    with unit_of_work(db.session):  # not due yet: stays
        row_later = db.session.get(OutboxMessage, later)
        row_later.next_attempt_at = NOW + timedelta(minutes=5)
    assert deliver(sched) == BATCH + 7 + 1
    assert len(credit_platform.received) == 1 and row(posted).delivered_at is not None
    pending = db.session.execute(select(OutboxMessage.id).where(OutboxMessage.delivered_at.is_(None))).scalars().all()
    assert pending == [later]
    assert deliver(sched) == 0
