"""Process owners' models page: every process, its versions and its draft."""
from __future__ import annotations

from flask import Blueprint, render_template

from app.web.pages import page

model_pages_bp = Blueprint("model_pages", __name__)


@page(model_pages_bp, "/models", roles=("process_owner", "admin"))
def model_list():
    return render_template("model_pages/list.html")
