"""Moving running cases to another version of their process, in audited batches."""
from __future__ import annotations

from flask import Blueprint

migration_bp = Blueprint("migration", __name__)
