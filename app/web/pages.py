"""The HTML boundary: every page route is declared with `page(...)`, which checks who may open it
and runs GETs on a read snapshot (never writing). A POST view opens its own write transaction
with `write_transaction()`; when the service refuses (field errors, a stale task) the view
re-renders on a fresh `read_snapshot()` with the entered values, so nothing is half-written and
nothing typed is lost.

The signed-in staff user becomes `g.actor` (a policy.Actor); pages for complainants use the case
their query code opened (`public_case_id()` in the session)."""
from __future__ import annotations

from contextlib import contextmanager
from dataclasses import dataclass
from functools import wraps
from typing import Callable, Iterator
from urllib.parse import urlsplit

from flask import Blueprint, current_app, g, redirect, request, url_for
from flask_login import LoginManager, UserMixin, current_user

from app import clock
from app.db import db, unit_of_work
from app.db_events import read_only
from app.errors import NotFound
from app.models import User
from app.policy import Actor
from app.services.accounts import actor_for
from app.services.engine_context import EngineContext

login_manager = LoginManager()
login_manager.login_view = "auth.login"
login_manager.session_protection = "strong"


@dataclass
class PageRoute:
    endpoint: str
    auth: str
    roles: tuple[str, ...]


PAGES: list[PageRoute] = []


class SessionUser(UserMixin):
    """What the session remembers between requests: the actor plus what the header shows."""

    def __init__(self, user: User):
        self.id = user.id
        self.actor = actor_for(user)
        self.display_name = user.display_name
        self.org_name = user.org.name

    def get_id(self) -> str:
        return str(self.id)


@login_manager.user_loader
def _load_user(user_id: str):
    if not user_id.isdigit():
        return None
    user = db.session.get(User, int(user_id))
    if user is None or not user.active:
        return None
    return SessionUser(user)


@contextmanager
def read_snapshot() -> Iterator[None]:
    """A read-only transaction (SQLite: a deferred BEGIN on the WAL snapshot), always rolled back."""
    with read_only():
        try:
            yield
        finally:
            db.session.rollback()


@contextmanager
def write_transaction() -> Iterator[None]:
    """One unit of work: commit once on success, roll back everything on any error."""
    with unit_of_work(db.session):
        yield


def engine_context() -> EngineContext:
    settings = current_app.extensions["lvyue.settings"]
    return EngineContext.load(db.session, clock.now(), settings.script_time_limit)


def current_actor() -> Actor:
    return g.actor


def _resolve_user() -> SessionUser | None:
    with read_snapshot():
        user = current_user._get_current_object()
        return user if user.is_authenticated else None


def page(bp: Blueprint, rule: str, *, methods: tuple[str, ...] = ("GET",), auth: str = "staff",
         roles: tuple[str, ...] = (), endpoint: str | None = None) -> Callable:
    """Declare a page. auth="staff": signed-in staff (optionally of `roles`; others get 404, as if
    the page did not exist); auth="public": anyone. GET runs inside a read snapshot."""
    if auth not in ("staff", "public"):
        raise ValueError(auth)

    def decorator(fn):
        name = endpoint or fn.__name__
        PAGES.append(PageRoute(f"{bp.name}.{name}", auth, tuple(roles)))

        @wraps(fn)
        def view(*args, **kwargs):
            user = _resolve_user()
            g.web_user = user
            g.actor = user.actor if user else None
            if auth == "staff":
                if user is None:
                    return redirect(url_for("auth.login", next=request.full_path.rstrip("?")))
                if roles and user.actor.role not in roles:
                    raise NotFound("page not found")
            if request.method == "GET":
                with read_snapshot():
                    return fn(*args, **kwargs)
            return fn(*args, **kwargs)

        bp.add_url_rule(rule, endpoint=name, view_func=view, methods=list(methods))
        return view

    return decorator


def safe_next(target: str | None, default: str) -> str:
    """Only same-site relative paths are followed after login (no open redirects)."""
    if not target:
        return default
    parts = urlsplit(target)
    if parts.scheme or parts.netloc or not target.startswith("/") or target.startswith("//"):
        return default
    return target


def init_pages(app) -> None:
    login_manager.init_app(app)
