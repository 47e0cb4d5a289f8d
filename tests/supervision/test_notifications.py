"""Notifications: fan-out by role and org, the bell's unread count, read marks, e-mail copies via the outbox."""
import pytest
from sqlalchemy import select

from app import clock
from app.db import db, unit_of_work
from app.models import Notification, OutboxMessage, User
from app.services import notifications
from app.services.engine_context import EngineContext


@pytest.fixture
def ctx(app, demo):
    with app.app_context():
        yield EngineContext.load(db.session, clock.now())
        db.session.remove()


def _user(username):
    return db.session.execute(select(User).where(User.username == username)).scalar_one()


def _usernames(role, org_id=None):
    q = select(User.username).where(User.role == role, User.active.is_(True))
    if org_id is not None:
        q = q.where(User.org_id == org_id)
    return sorted(db.session.execute(q).scalars())


def _recipients():
    ids = db.session.execute(select(Notification.user_id)).scalars().all()
    return sorted(db.session.execute(select(User.username).where(User.id.in_(ids))).scalars())


def test_notify_role_reaches_the_active_users_of_that_role_in_that_org(ctx):
    org = _user("handler_hygov").org_id
    with unit_of_work(db.session):
        count = notifications.notify_role(ctx, "handler", org, kind="t", title="【催办】x")
    expected = _usernames("handler", org)  # the demo user and any other HY-GOV handler
    assert "handler_hygov" in expected and count == len(expected) and _recipients() == expected


def test_notify_role_without_an_org_reaches_everyone_with_the_role(ctx):
    with unit_of_work(db.session):
        notifications.notify_role(ctx, "supervisor", None, kind="t", title="【督办】x")
    assert _recipients() == _usernames("supervisor") and len(_recipients()) >= 2


def test_inactive_users_are_not_notified(ctx):
    user = _user("handler_whgov")
    try:
        with unit_of_work(db.session):
            user.active = False
            notifications.notify_role(ctx, "handler", user.org_id, kind="t", title="x")
        assert "handler_whgov" not in _recipients()
    finally:
        with unit_of_work(db.session):
            user.active = True


def test_an_email_copy_is_one_outbox_row_only_when_smtp_is_configured_and_an_address_known(ctx):
    org = _user("handler_hygov").org_id
    with unit_of_work(db.session):
        notifications.notify_role(ctx, "handler", org, kind="t", title="a", email_to=["hy@example.cn"])
        notifications.notify_role(ctx, "handler", org, kind="t", title="b", smtp_host="smtp.local")
        notifications.notify_role(ctx, "handler", org, kind="t", title="c", smtp_host="smtp.local",
                                  email_to=["hy@example.cn", "hy@example.cn"])
    [row] = db.session.execute(select(OutboxMessage)).scalars().all()
    assert row.topic == "email" and row.payload == {"to": ["hy@example.cn"], "subject": "c", "body": ""}


def test_the_bell_counts_unread_and_a_read_mark_lowers_it(ctx, client, auth):
    with unit_of_work(db.session):
        for title in ("一", "二"):
            notifications.notify_user(ctx, _user("handler_hygov").id, kind="t", title=title)
    bell = client.get("/api/v1/notifications", headers=auth("handler_hygov")).get_json()
    assert bell["unread"] == 2 and [n["title"] for n in bell["notifications"]] == ["二", "一"]
    read = client.post(f"/api/v1/notifications/{bell['notifications'][0]['id']}/read", headers=auth("handler_hygov"))
    assert read.status_code == 200 and read.get_json()["unread"] == 1


def test_another_users_notification_is_404(ctx, client, auth):
    with unit_of_work(db.session):
        note = notifications.notify_user(ctx, _user("handler_hygov").id, kind="t", title="x")
    assert client.post(f"/api/v1/notifications/{note.id}/read", headers=auth("handler_whgov")).status_code == 404


def test_read_all_clears_only_the_callers_bell(ctx, client, auth):
    with unit_of_work(db.session):
        for title in ("一", "二"):
            notifications.notify_user(ctx, _user("handler_hygov").id, kind="t", title=title)
        notifications.notify_user(ctx, _user("handler_whgov").id, kind="t", title="别人的")
    resp = client.post("/api/v1/notifications/read-all", headers=auth("handler_hygov"))
    assert resp.status_code == 200 and resp.get_json() == {"marked": 2, "unread": 0}
    assert client.get("/api/v1/notifications", headers=auth("handler_whgov")).get_json()["unread"] == 1
