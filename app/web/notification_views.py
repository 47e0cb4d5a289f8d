"""The signed-in user's notifications (the bell in the header)."""
from __future__ import annotations

from flask import Blueprint, render_template

from app.web.pages import page

notifications_bp = Blueprint("notifications", __name__)


@page(notifications_bp, "/notifications", roles=())
def notification_list():
    return render_template("notifications/list.html")
