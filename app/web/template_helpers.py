"""Filters and globals the workbench templates share: local dates (Asia/Shanghai), money,
masked personal data, the language switch."""
from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal, InvalidOperation

from flask import Flask, request, url_for
from flask_babel import gettext as _
from markupsafe import Markup

from app import clock
from app.identifiers import mask_id, mask_phone


def local_datetime(value, with_time: bool = True) -> str:
    """'2026-03-02 09:00' in Asia/Shanghai; accepts aware datetimes and ISO strings."""
    if value in (None, ""):
        return ""
    if isinstance(value, str):
        try:
            value = datetime.fromisoformat(value)
        except ValueError:
            return value
    if isinstance(value, datetime):
        local = clock.local(value)
        return local.strftime("%Y-%m-%d %H:%M") if with_time else local.strftime("%Y-%m-%d")
    if isinstance(value, date):
        return value.isoformat()
    return str(value)


def money(value) -> str:
    """'1,250,000.00' (yuan); empty for None; the raw text when it is not a number."""
    if value in (None, ""):
        return ""
    try:
        return f"{Decimal(str(value)):,.2f}"
    except InvalidOperation:
        return str(value)


def lang_url(lang: str) -> str:
    """This page in another language (the choice is remembered in the session by /lang)."""
    return url_for("auth.set_language", lang=lang, next=request.full_path.rstrip("?"))


def nl2br(text) -> Markup:
    escaped = Markup.escape(text or "")
    return Markup("<br>").join(escaped.split("\n"))


def role_label(role: str | None) -> str:
    labels = {"intake_officer": _("受理人员"), "handler": _("承办人员"), "supervisor": _("信用办督办人员"),
              "process_owner": _("流程管理人员"), "admin": _("系统管理员"), "complainant": _("投诉人")}
    return labels.get(role or "", role or "")


def register_template_helpers(app: Flask) -> None:
    app.jinja_env.filters.update(local_dt=local_datetime,
                                 local_date=lambda v: local_datetime(v, with_time=False),
                                 money=money, mask_phone=lambda v: mask_phone(v or ""),
                                 mask_id=lambda v: mask_id(v or ""), nl2br=nl2br)
    app.jinja_env.globals.update(lang_url=lang_url, role_label=role_label)
    app.jinja_env.trim_blocks = True
    app.jinja_env.lstrip_blocks = True
