"""In-app notifications (the bell) and their e-mail copies through the outbox.

Rows are written in the caller's transaction. E-mail: when `smtp_host` is set, ONE outbox row
(topic 'email') is queued per batch, addressed to the recipients' `users.email` plus any
`email_to` the caller adds, and delivered after commit by the outbox worker. Users without an
address get the in-app notification only."""
from __future__ import annotations

from collections.abc import Sequence

from sqlalchemy import func, select, update
from sqlalchemy.orm import Session

from app.errors import NotFound
from app.models import Notification, OutboxMessage, User
from app.policy import Actor, owns_notification
from app.services.engine_context import EngineContext

EMAIL_TOPIC = "email"


def notify_user(ctx: EngineContext, user_id: int, *, kind: str, title: str, body: str = "",
                case_id: int | None = None) -> Notification:
    row = Notification(user_id=user_id, case_id=case_id, kind=kind, title=title[:200], body=body,
                       created_at=ctx.now, read_at=None)
    ctx.session.add(row)
    return row


def notify_users(ctx: EngineContext, user_ids: Sequence[int], *, kind: str, title: str, body: str = "",
                 case_id: int | None = None, email_to: Sequence[str] = (), smtp_host: str = "") -> int:
    """One notification per distinct user; optionally one e-mail outbox row for the batch."""
    ids = list(dict.fromkeys(user_ids))
    for user_id in ids:
        notify_user(ctx, user_id, kind=kind, title=title, body=body, case_id=case_id)
    queue_email(ctx, email_to, title=title, body=body, case_id=case_id, smtp_host=smtp_host)
    return len(ids)


def notify_role(ctx: EngineContext, role: str, org_id: int | None = None, *, kind: str, title: str,
                body: str = "", case_id: int | None = None, email_to: Sequence[str] = (),
                smtp_host: str = "") -> int:
    """Fan out to the active users with `role` in `org_id` (every org when None). Returns how many."""
    q = select(User.id, User.email).where(User.role == role, User.active.is_(True))
    if org_id is not None:
        q = q.where(User.org_id == org_id)
    recipients = ctx.session.execute(q.order_by(User.id)).all()
    addresses = [*email_to, *(email for _id, email in recipients if email)]
    return notify_users(ctx, [user_id for user_id, _email in recipients], kind=kind, title=title, body=body,
                        case_id=case_id, email_to=addresses, smtp_host=smtp_host)


def queue_email(ctx: EngineContext, email_to: Sequence[str], *, title: str, body: str, case_id: int | None,
                smtp_host: str) -> OutboxMessage | None:
    addresses = [a for a in dict.fromkeys(email_to) if a and "@" in a]
    if not smtp_host or not addresses:
        return None
    row = OutboxMessage(created_at=ctx.now, topic=EMAIL_TOPIC, case_id=case_id, next_attempt_at=ctx.now,
                        payload={"to": addresses, "subject": title, "body": body})
    ctx.session.add(row)
    return row


def unread_count(session: Session, user_id: int) -> int:
    return session.execute(select(func.count(Notification.id)).where(
        Notification.user_id == user_id, Notification.read_at.is_(None))).scalar_one()


def list_for(session: Session, user_id: int, *, unread_only: bool = False, limit: int = 50) -> list[Notification]:
    """Newest first."""
    q = select(Notification).where(Notification.user_id == user_id)
    if unread_only:
        q = q.where(Notification.read_at.is_(None))
    return list(session.execute(q.order_by(Notification.id.desc()).limit(limit)).scalars())


def mark_read(ctx: EngineContext, actor: Actor, notification_id: int) -> Notification:
    """Mark one of the caller's notifications read (idempotent); another user's is NotFound."""
    row = ctx.session.get(Notification, notification_id)
    if row is None or not owns_notification(actor, row):
        raise NotFound("notification not found")
    if row.read_at is None:
        row.read_at = ctx.now
    return row


def mark_all_read(ctx: EngineContext, actor: Actor) -> int:
    result = ctx.session.execute(update(Notification).where(
        Notification.user_id == actor.user_id, Notification.read_at.is_(None)).values(read_at=ctx.now))
    return result.rowcount or 0
