"""Supervision actions on the staff pages: 催办/督办 by hand, replies, extension decisions, reassignment."""
from __future__ import annotations

from flask import Blueprint

supervise_bp = Blueprint("supervise", __name__)
