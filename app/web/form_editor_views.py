"""The form editor: a form's JSON Schema and ui hints side by side with a live preview."""
from __future__ import annotations

from flask import Blueprint

form_editor_bp = Blueprint("form_editor", __name__)
