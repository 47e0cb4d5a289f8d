"""Administrators manage staff accounts and API tokens (channel systems such as 12345 use tokens)."""
from __future__ import annotations

from flask import Blueprint, jsonify
from sqlalchemy import select

from app import clock
from app.db import db
from app.errors import InvalidSubmission, NotAllowed
from app.models import User
from app.services import accounts
from app.web.api_support import current_actor, endpoint, json_body

users_bp = Blueprint("users", __name__, url_prefix="/api/v1")


def _require_admin() -> None:
    if current_actor().role != "admin":
        raise NotAllowed("only administrators manage accounts")


def _user_dict(user: User) -> dict:
    return {"username": user.username, "display_name": user.display_name, "role": user.role,
            "org": user.org.code, "active": user.active, "email": user.email}


@endpoint(users_bp, "/users", "GET", "Staff accounts (administrators)", tags=["users"],
          responses={200: "OK", 403: "not an administrator"})
def list_users():
    _require_admin()
    users = db.session.execute(select(User).order_by(User.username)).scalars()
    return jsonify({"users": [_user_dict(u) for u in users]})


@endpoint(users_bp, "/users", "POST", "Create a staff account (administrators)", tags=["users"],
          request_schema={"type": "object", "required": ["username", "password", "role", "org"], "properties": {
              "username": {"type": "string"}, "password": {"type": "string", "minLength": 10},
              "role": {"type": "string"}, "org": {"type": "string"}, "display_name": {"type": "string"},
              "email": {"type": "string"}}},
          responses={201: "created", 403: "not an administrator", 409: "username taken", 422: "field errors"})
def create_user():
    _require_admin()
    body = json_body()
    fields = {k: body.get(k) for k in ("username", "password", "role", "org")}
    missing = {k: ["required"] for k, v in fields.items() if not isinstance(v, str) or not v}
    if missing:
        raise InvalidSubmission(missing)
    user = accounts.create_user(db.session, clock.now(), fields["username"], fields["password"], fields["role"],
                                fields["org"], display_name=body.get("display_name"), email=body.get("email"),
                                actor=current_actor())
    return jsonify(_user_dict(user)), 201


@endpoint(users_bp, "/users/{username}/tokens", "POST", "Issue an API token (shown once; administrators)",
          tags=["users"], request_schema={"type": "object", "properties": {"name": {"type": "string"}}},
          responses={201: "{token}", 403: "not an administrator", 404: "unknown user"})
def issue_token(username):
    _require_admin()
    name = str((json_body() or {}).get("name") or "api")[:80]
    token = accounts.issue_token(db.session, clock.now(), username, name, actor=current_actor())
    return jsonify({"username": username, "token": token}), 201


@endpoint(users_bp, "/users/{username}/tokens/revoke", "POST", "Revoke every token of a user (administrators)",
          tags=["users"], responses={200: "{revoked}", 403: "not an administrator", 404: "unknown user"})
def revoke_tokens(username):
    _require_admin()
    count = accounts.revoke_tokens(db.session, clock.now(), username, current_actor())
    return jsonify({"username": username, "revoked": count})


@endpoint(users_bp, "/users/{username}/active", "PUT", "Activate or deactivate an account (administrators)",
          tags=["users"], request_schema={"type": "object", "required": ["active"],
                                          "properties": {"active": {"type": "boolean"}}},
          responses={200: "OK", 403: "not an administrator", 404: "unknown user", 422: "bad input"})
def set_active(username):
    _require_admin()
    active = json_body().get("active")
    if not isinstance(active, bool):
        raise InvalidSubmission({"active": ["true or false"]})
    if username == current_actor().label and not active:
        raise InvalidSubmission({"active": ["administrators cannot deactivate themselves"]})
    user = accounts.set_active(db.session, clock.now(), username, active, current_actor())
    return jsonify(_user_dict(user))
