"""The workbench shell: sign-in and lockout, CSRF, safe redirects, language switch, error pages,
and authorisation declared on every page route."""
from __future__ import annotations

from sqlalchemy import select

from app.db import db
from app.models import AuditEvent, User
from app.web.pages import PAGES
from tests.web.conftest import csrf_from, sign_in


def _login_post(client, username, password, **extra):
    token = csrf_from(client.get("/login").data)
    return client.post("/login", data={"username": username, "password": password, "csrf_token": token, **extra})


def test_signing_in_lands_in_the_inbox_and_shows_role_and_org(client, demo):
    response = _login_post(client, "handler_hygov", demo["handler_hygov"]["password"])
    assert response.status_code == 302 and response.headers["Location"].endswith("/inbox")
    page = client.get("/inbox").get_data(as_text=True)
    assert "承办人员" in page and "怀远县人民政府" in page


def test_wrong_password_says_the_same_as_an_unknown_name(client, demo):
    wrong = _login_post(client, "handler_hygov", "not-the-password")
    unknown = _login_post(client, "nobody_here", "whatever-it-is")
    assert wrong.status_code == unknown.status_code == 401
    assert "用户名或密码错误" in wrong.get_data(as_text=True)
    assert "用户名或密码错误" in unknown.get_data(as_text=True)
    assert 'value="handler_hygov"' in wrong.get_data(as_text=True)  # the typed name is kept


def test_five_wrong_passwords_lock_the_account_even_for_the_right_password(app, client, demo):
    try:
        for _ in range(5):
            last = _login_post(client, "handler_bbdata", "wrong-password-x")
        assert "锁定" in last.get_data(as_text=True)
        right = _login_post(client, "handler_bbdata", demo["handler_bbdata"]["password"])
        assert right.status_code == 401 and "锁定" in right.get_data(as_text=True)
        with app.app_context():
            assert db.session.execute(select(AuditEvent).where(AuditEvent.action == "account_locked")).scalars().first()
    finally:
        with app.app_context():
            user = db.session.execute(select(User).where(User.username == "handler_bbdata")).scalar_one()
            user.locked_until, user.failed_logins = None, 0
            db.session.commit()


def test_a_post_without_the_csrf_token_is_refused_with_a_page_not_a_500(client, demo):
    response = client.post("/login", data={"username": "handler_hygov", "password": demo["handler_hygov"]["password"]})
    assert response.status_code == 400
    assert "页面已过期" in response.get_data(as_text=True)


def test_after_sign_in_only_local_paths_are_followed(client, demo):
    response = _login_post(client, "handler_hygov", demo["handler_hygov"]["password"], next="https://evil.example/x")
    assert response.headers["Location"].endswith("/inbox")
    client2 = client.application.test_client()
    response = _login_post(client2, "handler_hygov", demo["handler_hygov"]["password"], next="/cases")
    assert response.headers["Location"].endswith("/cases")


def test_signing_out_needs_a_post_with_csrf_and_ends_the_session(client, demo):
    sign_in(client, demo, "handler_hygov")
    assert client.get("/logout").status_code == 405
    token = csrf_from(client.get("/inbox").data)
    assert client.post("/logout", data={"csrf_token": token}).status_code == 302
    assert client.get("/inbox").status_code == 302  # back to the sign-in page


def test_staff_pages_send_anonymous_visitors_to_sign_in(client):
    response = client.get("/inbox")
    assert response.status_code == 302 and "/login?next=/inbox" in response.headers["Location"]


def test_the_language_switch_is_remembered_for_the_session(client):
    assert "工作人员登录" in client.get("/login").get_data(as_text=True)
    client.get("/lang/en?next=/login")
    page = client.get("/login").get_data(as_text=True)
    assert "Staff sign-in" in page and 'lang="en"' in page
    client.get("/lang/zh?next=/login")
    assert "工作人员登录" in client.get("/login").get_data(as_text=True)


def test_unknown_pages_answer_a_localised_html_404_and_the_api_keeps_json(client):
    page = client.get("/no/such/page")
    assert page.status_code == 404 and "text/html" in page.content_type and "未找到" in page.get_data(as_text=True)
    api = client.get("/api/v1/no/such/thing")
    assert api.status_code == 404 and api.is_json


def test_pages_carry_the_security_headers(client):
    response = client.get("/login")
    assert "script-src 'self'" in response.headers["Content-Security-Policy"]
    assert response.headers["X-Frame-Options"] == "DENY"
    cookie = client.get_cookie("session")
    assert cookie is None or cookie.http_only


def test_every_page_route_declares_who_may_open_it(app):
    """Every route outside the JSON API and static files goes through pages.page(), which checks the
    sign-in and role before the view runs."""
    declared = {p.endpoint for p in PAGES}
    undeclared = [rule.endpoint for rule in app.url_map.iter_rules()
                  if rule.endpoint != "static" and not rule.rule.startswith("/api/") and rule.endpoint not in declared]
    assert not undeclared, undeclared
