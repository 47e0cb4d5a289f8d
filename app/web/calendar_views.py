"""The working-day calendar page: years, holidays and make-up days, overrides, loading a year."""
from __future__ import annotations

from flask import Blueprint, render_template

from app.web.pages import page

calendar_admin_bp = Blueprint("calendar_admin", __name__)


@page(calendar_admin_bp, "/admin/calendar", roles=("admin", "supervisor"))
def calendar_page():
    return render_template("calendar_admin/calendar.html")
