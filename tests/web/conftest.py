"""Helpers for page tests through the Flask test client: the CSRF token of a rendered page and
signing in as a demo user."""
from __future__ import annotations

import re

import pytest

_TOKEN = re.compile(r'name="csrf_token" value="([^"]+)"')


def csrf_from(html: str | bytes) -> str:
    text = html.decode() if isinstance(html, bytes) else html
    match = _TOKEN.search(text)
    assert match, "the page has no CSRF token"
    return match.group(1)


def sign_in(client, demo, username: str):
    page = client.get("/login")
    response = client.post("/login", data={"username": username, "password": demo[username]["password"],
                                           "csrf_token": csrf_from(page.data)})
    assert response.status_code == 302, response.data[:500]
    return response


@pytest.fixture
def staff_client(app, demo):
    """A fresh test client signed in as the given demo user: staff_client('handler_hy_housing')."""
    def make(username: str):
        client = app.test_client()
        sign_in(client, demo, username)
        return client
    return make
