"""Deliver the outbox after commit, one row per transaction, with one deliverer per topic kind:
credit-platform events go out as an HTTP POST, `email` rows through SMTP, every other topic is an
internal event: nothing is sent, so they are marked delivered in bulk (one statement per
BATCH rows) before the rows that are sent one by one.

PostgreSQL: the row is locked FOR UPDATE SKIP LOCKED while it is sent and marked, so several
schedulers never send the same row at once. SQLite (one scheduler, enforced by the lease): the
row is read on a snapshot and marked in a short write transaction, so the single writer lock is
not held during network I/O. A crash between sending and marking sends the row again
(at-least-once); the credit platform gets an Idempotency-Key to recognise it."""
from __future__ import annotations

import json
import smtplib
import urllib.error
import urllib.request
from email.message import EmailMessage
from typing import Callable

from app import clock
from app.config import Settings
from app.db import unit_of_work
from app.db_events import read_only
from app.scheduler.job_env import JobEnv, log
from app.services import outbox
from app.services.outbox import Outgoing

CREDIT_PLATFORM_TOPICS = frozenset({"breach_determined", "credit_repaired", "sanctions_proposed"})
EMAIL_TOPIC = "email"
TIMEOUT_SECONDS = 10
BATCH = 100


class DeliveryFailed(Exception):
    pass


def post_to_credit_platform(message: Outgoing, settings: Settings) -> None:
    if not settings.credit_platform_url:
        raise DeliveryFailed("LVYUE_CREDIT_PLATFORM_URL is not set")
    body = json.dumps({"message_id": message.id, "topic": message.topic, "case_id": message.case_id,
                       "created_at": message.created_at.isoformat(), "payload": message.payload},
                      ensure_ascii=False).encode("utf-8")
    request = urllib.request.Request(settings.credit_platform_url, data=body, method="POST", headers={
        "Content-Type": "application/json; charset=utf-8",
        "Authorization": f"Bearer {settings.credit_platform_token}",
        "Idempotency-Key": f"lvyue-outbox-{message.id}",
    })
    try:
        with urllib.request.urlopen(request, timeout=TIMEOUT_SECONDS) as response:
            response.read()
    except urllib.error.HTTPError as exc:
        raise DeliveryFailed(f"credit platform answered HTTP {exc.code}") from exc
    except (urllib.error.URLError, OSError) as exc:
        raise DeliveryFailed(f"credit platform unreachable: {getattr(exc, 'reason', exc)}") from exc


def send_email(message: Outgoing, settings: Settings) -> None:
    if not settings.smtp_host:
        log.info("outbox %s: no SMTP host configured, e-mail dropped (in-app notification only)", message.id)
        return
    payload = message.payload
    to = payload.get("to")
    recipients = [to] if isinstance(to, str) else list(to or [])
    if not recipients:
        raise DeliveryFailed("e-mail without recipients")
    mail = EmailMessage()
    mail["From"] = settings.smtp_sender
    mail["To"] = ", ".join(recipients)
    mail["Subject"] = payload.get("subject", "")
    mail.set_content(payload.get("body", ""))
    try:
        with smtplib.SMTP(settings.smtp_host, settings.smtp_port, timeout=TIMEOUT_SECONDS) as smtp:
            smtp.send_message(mail)
    except (smtplib.SMTPException, OSError) as exc:
        raise DeliveryFailed(f"SMTP {settings.smtp_host}:{settings.smtp_port}: {exc}") from exc


def deliverer_for(topic: str) -> Callable[[Outgoing, Settings], None]:
    """The sender of an outside topic (internal ones are marked in bulk: `mark_internal_events`)."""
    return post_to_credit_platform if topic in CREDIT_PLATFORM_TOPICS else send_email


EXTERNAL_TOPICS = CREDIT_PLATFORM_TOPICS | {EMAIL_TOPIC}


def deliver_outbox(env: JobEnv) -> int:
    """Returns how many rows were delivered."""
    with read_only(), unit_of_work(env.session):
        due = outbox.due(env.session, clock.now(), BATCH)
    delivered = 0
    if any(topic not in EXTERNAL_TOPICS for _, topic in due):
        delivered = marked = mark_internal_events(env)
        while marked == BATCH and not env.stop.is_set():
            marked = mark_internal_events(env)
            delivered += marked
        with read_only(), unit_of_work(env.session):  # what the internal rows kept out of this batch
            due = outbox.due(env.session, clock.now(), BATCH)
    ids = [message_id for message_id, topic in due if topic in EXTERNAL_TOPICS]
    for message_id in ids:
        if env.stop.is_set():
            break
        try:
            delivered += deliver_one(env, message_id)
        except Exception as exc:  # noqa: BLE001 - one row's failure is recorded, the others go on
            error = f"{type(exc).__name__}: {exc}" if not isinstance(exc, DeliveryFailed) else str(exc)
            with unit_of_work(env.session):
                attempts = outbox.record_failure(env.context(clock.now()), message_id, error, env.settings.max_attempts)
            log.warning("outbox %s not delivered (attempt %s): %s", message_id, attempts, error)
    return delivered


def mark_internal_events(env: JobEnv) -> int:
    with unit_of_work(env.session):
        return outbox.mark_internal_delivered(env.session, clock.now(), EXTERNAL_TOPICS, BATCH,
                                              lock=not env.settings.is_sqlite)


def deliver_one(env: JobEnv, message_id: int) -> int:
    session, settings = env.session, env.settings
    if settings.is_sqlite:
        with read_only(), unit_of_work(session):
            message = outbox.claim(session, message_id, clock.now(), lock=False)
        if message is None:
            return 0
        deliverer_for(message.topic)(message, settings)
        with unit_of_work(session):
            return int(outbox.mark_delivered(session, message_id, clock.now()))
    with unit_of_work(session):
        message = outbox.claim(session, message_id, clock.now(), lock=True)
        if message is None:
            return 0
        deliverer_for(message.topic)(message, settings)
        return int(outbox.mark_delivered(session, message_id, clock.now()))
