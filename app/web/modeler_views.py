"""The bpmn-js modeler for process owners: edit the draft, validate, deploy, compare versions."""
from __future__ import annotations

from flask import Blueprint

modeler_bp = Blueprint("modeler", __name__)
