"""The notification bell and /notifications: the unread count in the header (one COUNT per staff page,
none for anonymous visitors), the list newest first with links to the case and the user's task,
marking one or all read (POST with CSRF), and nobody else's notifications."""
from __future__ import annotations

import re
from contextlib import contextmanager

import pytest
from sqlalchemy import event, select

from app import clock
from app.db import db, unit_of_work
from app.models import Case, Notification, ReadyTask, User
from app.services import notifications
from app.services.engine_context import EngineContext
from tests.drive import ServiceDriver, complaint_for, travel
from tests.lifecycle_paths import ACCEPT_AND_REFER
from tests.web.conftest import csrf_from

BELL = re.compile(r'<span class="bell-count"[^>]*>([^<]*)</span>')


@pytest.fixture(autouse=True)
def traveller():
    with travel() as t:
        yield t


def _user_id(app, username: str) -> int:
    with app.app_context():
        user_id = db.session.execute(select(User.id).where(User.username == username)).scalar_one()
        db.session.remove()
    return user_id


def _notify(app, username: str, title: str, case_no: str | None = None) -> int:
    user_id = _user_id(app, username)
    with app.app_context():
        with unit_of_work(db.session):
            case_id = (db.session.execute(select(Case.id).where(Case.case_no == case_no)).scalar_one()
                       if case_no else None)
            row = notifications.notify_user(EngineContext.load(db.session, clock.now()), user_id,
                                            kind="escalation:manual_reminder", title=title, body="请尽快办理。",
                                            case_id=case_id)
            db.session.flush()
            note_id = row.id
        db.session.remove()
    return note_id


def _bell(html: str) -> str | None:
    match = BELL.search(html)
    return match.group(1) if match else None


def _unread(app, username: str) -> int:
    with app.app_context():
        count = notifications.unread_count(db.session, _user_id(app, username))
        db.session.remove()
    return count


@contextmanager
def notification_statements(app):
    """The SQL statements that read the notifications table during the block."""
    seen: list[str] = []
    with app.app_context():
        engine = db.engine

    def on_execute(_conn, _cursor, statement, *_args):
        if "notifications" in statement:
            seen.append(statement)

    event.listen(engine, "before_cursor_execute", on_execute)
    try:
        yield seen
    finally:
        event.remove(engine, "before_cursor_execute", on_execute)


@pytest.fixture
def verifying(app, demo, traveller):
    """A case waiting for verification by handler_hygov: (case number, task id)."""
    with app.app_context():
        driver = ServiceDriver(traveller)
        case_no, _code = driver.file(complaint_for({}))
        for step in ACCEPT_AND_REFER:
            driver.complete(case_no, step["task"], step["data"])
        case_id = driver.case(case_no).id
        task_id = db.session.execute(select(ReadyTask.id).where(ReadyTask.case_id == case_id)).scalar_one()
        db.session.remove()
    return case_no, task_id


def test_the_bell_shows_the_unread_count_and_links_to_the_list(app, staff_client):
    client = staff_client("handler_whgov")
    assert _bell(client.get("/inbox").get_data(as_text=True)) is None
    _notify(app, "handler_whgov", "【催办】请办理一")
    _notify(app, "handler_whgov", "【催办】请办理二")
    page = client.get("/inbox").get_data(as_text=True)
    assert _bell(page) == "2"
    assert 'href="/notifications"' in page and "消息通知（2 条未读）" in page


def test_a_staff_page_asks_for_the_count_once_and_an_anonymous_page_not_at_all(app, client, staff_client):
    signed_in = staff_client("handler_whgov")
    with notification_statements(app) as seen:
        assert signed_in.get("/inbox").status_code == 200
    assert len(seen) == 1 and "count(" in seen[0].lower()
    with notification_statements(app) as seen:
        assert client.get("/").status_code == 200
        assert client.get("/login").status_code == 200
    assert seen == []


def test_the_list_is_newest_first_with_links_to_the_case_and_the_users_task(app, staff_client, verifying):
    case_no, task_id = verifying
    _notify(app, "handler_hygov", "【催办】较早的通知")
    _notify(app, "handler_hygov", "【督办】较新的通知", case_no=case_no)
    page = staff_client("handler_hygov").get("/notifications").get_data(as_text=True)
    assert page.index("较新的通知") < page.index("较早的通知")
    assert f'href="/cases/{case_no}"' in page
    assert f'href="/tasks/{task_id}"' in page and "去办理「核实投诉」" in page


def test_a_case_the_user_can_no_longer_see_has_no_link(app, staff_client, verifying):
    case_no, _task_id = verifying
    _notify(app, "handler_whgov", "【改派】别的单位的案件", case_no=case_no)
    page = staff_client("handler_whgov").get("/notifications").get_data(as_text=True)
    assert "别的单位的案件" in page and f'href="/cases/{case_no}"' not in page


def test_marking_one_read_lowers_the_count_and_returns_to_the_list(app, staff_client):
    client = staff_client("handler_whgov")
    first = _notify(app, "handler_whgov", "【催办】第一条")
    _notify(app, "handler_whgov", "【催办】第二条")
    token = csrf_from(client.get("/notifications").data)
    response = client.post(f"/notifications/{first}/read", data={"csrf_token": token, "next": "/notifications"})
    assert response.status_code == 302 and response.headers["Location"].endswith("/notifications")
    page = client.get("/notifications").get_data(as_text=True)
    assert "已标为已读" in page and _bell(page) == "1"
    assert _unread(app, "handler_whgov") == 1


def test_opening_an_unread_notification_marks_it_read_and_goes_to_the_case(app, staff_client, verifying):
    case_no, task_id = verifying
    note = _notify(app, "handler_hygov", "【督办】请核实", case_no=case_no)
    client = staff_client("handler_hygov")
    token = csrf_from(client.get("/notifications").data)
    response = client.post(f"/notifications/{note}/read", data={"csrf_token": token, "next": f"/tasks/{task_id}",
                                                                   "quiet": "1"})
    assert response.status_code == 302 and response.headers["Location"].endswith(f"/tasks/{task_id}")
    assert _unread(app, "handler_hygov") == 0


def test_mark_all_read_clears_the_bell(app, staff_client):
    client = staff_client("handler_whgov")
    for n in range(3):
        _notify(app, "handler_whgov", f"【催办】第{n}条")
    page = client.get("/notifications?show=unread").get_data(as_text=True)
    assert page.count('class="notification unread"') == 3
    response = client.post("/notifications/read-all", data={"csrf_token": csrf_from(page), "next": "/notifications"})
    assert response.status_code == 302
    page = client.get("/notifications").get_data(as_text=True)
    assert "已将 3 条通知标为已读" in page and _bell(page) is None
    assert "没有未读通知" in client.get("/notifications?show=unread").get_data(as_text=True)


def test_marking_read_needs_the_csrf_token(app, staff_client):
    note = _notify(app, "handler_whgov", "【催办】需要令牌")
    client = staff_client("handler_whgov")
    assert client.post(f"/notifications/{note}/read").status_code == 400
    assert client.post("/notifications/read-all").status_code == 400
    assert _unread(app, "handler_whgov") == 1


def test_another_users_notification_is_not_found(app, staff_client):
    note = _notify(app, "handler_hygov", "【催办】不是你的")
    client = staff_client("handler_whgov")
    token = csrf_from(client.get("/notifications").data)
    assert client.post(f"/notifications/{note}/read", data={"csrf_token": token}).status_code == 404
    with app.app_context():
        assert db.session.get(Notification, note).read_at is None
        db.session.remove()
    assert "不是你的" not in client.get("/notifications").get_data(as_text=True)


def test_the_list_pages_back_in_time(app, staff_client):
    for n in range(32):
        _notify(app, "handler_whgov", f"【催办】编号{n:02d}")
    client = staff_client("handler_whgov")
    first = client.get("/notifications").get_data(as_text=True)
    assert "编号31" in first and "编号01" not in first
    older = re.search(r'href="(/notifications\?show=all&amp;before=\d+)"', first).group(1).replace("&amp;", "&")
    second = client.get(older).get_data(as_text=True)
    assert "编号01" in second and "编号00" in second and "编号31" not in second


def test_the_english_page_names_the_kind_in_english(app, staff_client):
    _notify(app, "handler_whgov", "【催办】英文页面")
    client = staff_client("handler_whgov")
    client.get("/lang/en?next=/notifications")
    page = client.get("/notifications").get_data(as_text=True)
    assert "Notifications" in page and "Reminder (manual)" in page and "Mark as read" in page


def test_a_count_that_cannot_be_read_leaves_the_bell_without_a_number(app, demo):
    """A session left broken by an earlier failure (a flush that violated a constraint and was not
    rolled back) makes the count fail: the bell still renders, and the session is usable again."""
    from flask import g, render_template
    from sqlalchemy.exc import IntegrityError

    from app.web.notification_views import header_unread_count
    from app.web.pages import SessionUser

    with app.test_request_context("/inbox"):
        user = db.session.execute(select(User).where(User.username == "handler_whgov")).scalar_one()
        g.web_user = SessionUser(user)
        db.session.add(Notification(user_id=None, kind="x", title="broken", body="", created_at=clock.now()))
        with pytest.raises(IntegrityError):
            db.session.flush()
        assert header_unread_count() is None
        html = render_template("shell/_bell.html")
        assert 'href="/notifications"' in html and "bell-count" not in html
        assert db.session.execute(select(User.id).where(User.id == user.id)).scalar_one() == user.id
        db.session.remove()
