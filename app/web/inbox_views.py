"""The handlers' inbox: the ready tasks of the user's org, least time left first."""
from __future__ import annotations

from flask import Blueprint, render_template

from app.web.pages import page

inbox_bp = Blueprint("inbox", __name__)


@page(inbox_bp, "/inbox")
def inbox():
    return render_template("inbox/inbox.html")
