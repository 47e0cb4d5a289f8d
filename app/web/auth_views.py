"""Sign in, sign out and the language switch."""
from __future__ import annotations

from flask import Blueprint, g, redirect, render_template, request, session, url_for
from flask_babel import gettext as _
from flask_login import login_user, logout_user

from app import clock
from app.db import db
from app.services.accounts import LoginRefused, sign_in
from app.web.i18n import LOCALES
from app.web.pages import SessionUser, page, safe_next, write_transaction

auth_bp = Blueprint("auth", __name__)


def home_for(user) -> str:
    return url_for("inbox.inbox") if user is not None else url_for("public.home")


@page(auth_bp, "/login", methods=("GET", "POST"), auth="public")
def login():
    target = safe_next(request.values.get("next"), "")
    if request.method == "GET":
        if g.web_user is not None:
            return redirect(target or home_for(g.web_user))
        return render_template("auth/login.html", next=target, username="", error=None)
    username = (request.form.get("username") or "").strip()[:80]
    password = request.form.get("password") or ""
    error = None
    with write_transaction():  # a wrong password is counted (and may lock the account) even though sign-in fails
        try:
            session_user = SessionUser(sign_in(db.session, clock.now(), username, password))
        except LoginRefused as refused:
            error = refused
    if error is not None:
        message = (_("密码错误次数过多，账号已锁定 15 分钟，请稍后再试或联系管理员。") if error.locked
                   else _("用户名或密码错误。"))
        return render_template("auth/login.html", next=target, username=username, error=message), 401
    session.clear()
    login_user(session_user)
    return redirect(target or url_for("inbox.inbox"))


@page(auth_bp, "/logout", methods=("POST",), auth="public")
def logout():
    lang = session.get("lang")
    logout_user()
    session.clear()
    if lang:
        session["lang"] = lang
    return redirect(url_for("auth.login"))


@page(auth_bp, "/lang/<lang>", auth="public")
def set_language(lang):
    """Remembers the language in the session cookie (no database write) and goes back."""
    if lang in LOCALES:
        session["lang"] = lang
    return redirect(safe_next(request.args.get("next"), url_for("auth.login")))
