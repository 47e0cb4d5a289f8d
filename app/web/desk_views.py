"""The supervisors' desk: live clocks of the region, league table, cases needing attention."""
from __future__ import annotations

from flask import Blueprint, render_template

from app.web.pages import page

desk_bp = Blueprint("desk", __name__)


@page(desk_bp, "/desk", roles=("supervisor", "admin"))
def board():
    return render_template("desk/board.html")
