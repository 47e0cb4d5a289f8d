"""Users and API tokens (argon2 password hashes; tokens stored as sha256 only)."""
from __future__ import annotations

import hashlib
import secrets
from datetime import datetime, timedelta

from argon2 import PasswordHasher
from argon2.exceptions import VerificationError
from sqlalchemy import select
from sqlalchemy.orm import Session

from app.clock import as_utc
from app.errors import Conflict, InvalidSubmission, NotFound
from app.models import ApiToken, Org, User
from app.models.user import ROLES
from app.policy import Actor
from app.services import audit

_hasher = PasswordHasher()
TOKEN_PREFIX = "lvy_"


def actor_for(user: User) -> Actor:
    return Actor(kind="staff", label=user.username, user_id=user.id, role=user.role, org_id=user.org_id,
                 org_code=user.org.code, org_level=user.org.level, region_code=user.org.region_code)


def create_user(session: Session, now: datetime, username: str, password: str, role: str, org_code: str,
                display_name: str | None = None, email: str | None = None, actor: Actor | None = None) -> User:
    errors = {}
    if role not in ROLES:
        errors["role"] = [f"unknown role; one of {', '.join(ROLES)}"]
    if len(password) < 10:
        errors["password"] = ["at least 10 characters"]
    if not username or len(username) > 80:
        errors["username"] = ["1 to 80 characters"]
    if email is not None and (len(email) > 200 or "@" not in email.strip("@")):
        errors["email"] = ["not an e-mail address"]
    if errors:
        raise InvalidSubmission(errors)
    org = session.execute(select(Org).where(Org.code == org_code)).scalar_one_or_none()
    if org is None:
        raise InvalidSubmission({"org_code": [f"unknown organisation {org_code}"]})
    if session.execute(select(User).where(User.username == username)).scalar_one_or_none():
        raise Conflict(f"user {username} exists")
    user = User(username=username, display_name=display_name or username, email=email,
                password_hash=_hasher.hash(password),
                role=role, org_id=org.id, active=True, failed_logins=0, created_at=now)
    session.add(user)
    session.flush()
    if actor is not None:
        audit.append(session, actor, "user_created", now, detail={"username": username, "role": role, "org": org_code})
    return user


def check_password(user: User, password: str) -> bool:
    try:
        return _hasher.verify(user.password_hash, password)
    except VerificationError:
        return False


def _token_hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def issue_token(session: Session, now: datetime, username: str, name: str = "default",
                actor: Actor | None = None) -> str:
    """Returns the plain token once; only its hash is stored."""
    user = session.execute(select(User).where(User.username == username)).scalar_one_or_none()
    if user is None:
        raise NotFound(f"no user {username}")
    token = TOKEN_PREFIX + secrets.token_urlsafe(32)
    session.add(ApiToken(user_id=user.id, name=name, token_hash=_token_hash(token), prefix=token[:12], created_at=now))
    session.flush()
    if actor is not None:
        audit.append(session, actor, "token_issued", now, detail={"username": username, "name": name})
    return token


def user_for_token(session: Session, token: str) -> User | None:
    if not token or not token.startswith(TOKEN_PREFIX):
        return None
    row = session.execute(select(ApiToken).where(ApiToken.token_hash == _token_hash(token))).scalar_one_or_none()
    if row is None or row.revoked_at is not None or not row.user.active:
        return None
    return row.user


def revoke_tokens(session: Session, now: datetime, username: str, actor: Actor) -> int:
    """Revoke every live token of `username` (e.g. a leaked channel token); returns how many."""
    user = session.execute(select(User).where(User.username == username)).scalar_one_or_none()
    if user is None:
        raise NotFound(f"no user {username}")
    tokens = session.execute(select(ApiToken).where(ApiToken.user_id == user.id, ApiToken.revoked_at.is_(None))).scalars()
    count = 0
    for token in tokens:
        token.revoked_at = now
        count += 1
    audit.append(session, actor, "tokens_revoked", now, detail={"username": username, "count": count})
    return count


def set_active(session: Session, now: datetime, username: str, active: bool, actor: Actor) -> User:
    user = session.execute(select(User).where(User.username == username)).scalar_one_or_none()
    if user is None:
        raise NotFound(f"no user {username}")
    user.active = active
    audit.append(session, actor, "user_activated" if active else "user_deactivated", now, detail={"username": username})
    return user


# -- signing in (browser sessions) -------------------------------------------------------------

MAX_FAILED_LOGINS = 5
LOCKOUT = timedelta(minutes=15)


class LoginRefused(Exception):
    """Wrong name or password (one message for both), or the account is locked for a while."""

    def __init__(self, locked: bool):
        super().__init__("account locked" if locked else "wrong username or password")
        self.locked = locked


def sign_in(session: Session, now: datetime, username: str, password: str) -> User:
    """Check a password. Every wrong password counts; the fifth in a row locks the account for
    15 minutes (audited). Unknown names are checked against a dummy hash so timing does not tell
    which names exist. The caller commits, so the counter is kept even when sign-in fails."""
    user = session.execute(select(User).where(User.username == username)).scalar_one_or_none()
    if user is None or not user.active:
        check_password(_DUMMY, password)
        raise LoginRefused(locked=False)
    if user.locked_until is not None and as_utc(user.locked_until) > now:
        raise LoginRefused(locked=True)
    if not check_password(user, password):
        user.failed_logins = (user.failed_logins or 0) + 1
        if user.failed_logins >= MAX_FAILED_LOGINS:
            user.locked_until = now + LOCKOUT
            user.failed_logins = 0
            audit.append(session, Actor.system("login"), "account_locked", now,
                         detail={"username": username, "minutes": int(LOCKOUT.total_seconds() // 60)})
            raise LoginRefused(locked=True)
        raise LoginRefused(locked=False)
    user.failed_logins = 0
    user.locked_until = None
    return user


class _DummyUser:
    password_hash = _hasher.hash("not-a-real-password")


_DUMMY = _DummyUser()
