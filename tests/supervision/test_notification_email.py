"""E-mail copies of notifications go to the recipients' own addresses through the outbox."""
from sqlalchemy import select

from app import clock
from app.db import db, unit_of_work
from app.models import Org, OutboxMessage, User
from app.services.accounts import create_user
from app.services.engine_context import EngineContext
from app.services.notifications import notify_role


def test_users_with_an_address_get_one_batched_email(app, demo):
    with app.app_context():
        with unit_of_work(db.session):
            user = create_user(db.session, clock.now(), "mail_handler", "long-enough-pw", "handler", "WH-GOV",
                               email="handler@wuhe.example")
            user_id = user.id
        org_id = db.session.execute(select(Org.id).where(Org.code == "WH-GOV")).scalar_one()
        with unit_of_work(db.session):
            ctx = EngineContext.load(db.session, clock.now())
            sent = notify_role(ctx, "handler", org_id, kind="test", title="【催办】测试", smtp_host="127.0.0.1")
        rows = db.session.execute(select(OutboxMessage).where(OutboxMessage.topic == "email")).scalars().all()
        assert sent == 2  # handler_whgov (no address) and mail_handler
        assert [r.payload["to"] for r in rows] == [["handler@wuhe.example"]]
        with unit_of_work(db.session):  # users outlive a test (session-wide demo data): retire this one
            user = db.session.get(User, user_id)
            user.active, user.username = False, f"retired-{user_id}"
        db.session.remove()
