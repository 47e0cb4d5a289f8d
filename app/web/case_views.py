"""Case pages for staff: the list and everything about one case."""
from __future__ import annotations

from flask import Blueprint, render_template

from app.web.pages import page

cases_bp = Blueprint("cases", __name__)


@page(cases_bp, "/cases")
def case_list():
    return render_template("cases/list.html")
