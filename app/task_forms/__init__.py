"""JSON-Schema task forms: load (FieldSpecs for the renderer), coerce HTML input, validate.

The JSON Schema file is the single source of truth for a form; the server always validates.
"""
from app.task_forms.coerce import coerce
from app.task_forms.loader import FORMATS, SUPPORTED_WIDGETS, FieldSpec, FormSpec, check_supported, load_form
from app.task_forms.messages import language, message
from app.task_forms.validate import FORM_ERROR_KEY, collect_errors, format_checker, validate

__all__ = [
    "FORMATS",
    "FORM_ERROR_KEY",
    "SUPPORTED_WIDGETS",
    "FieldSpec",
    "FormSpec",
    "check_supported",
    "coerce",
    "collect_errors",
    "format_checker",
    "language",
    "load_form",
    "message",
    "validate",
]
