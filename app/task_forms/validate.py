"""Server-side validation of form data against its JSON Schema (2020-12), with field-level,
localised, plain-language errors.

``validate`` raises ``InvalidSubmission(errors={dotted_path: [message, ...]})``. Paths are dotted
('complainant.uscc', 'contracts.0.amount'); a missing required field is reported at its own
path; an unknown field at its own path; errors about the whole submission under ``FORM_ERROR_KEY``.
"""
from __future__ import annotations

import re
from datetime import date, datetime
from typing import Any, Iterable

from jsonschema import Draft202012Validator, FormatChecker
from jsonschema.exceptions import ValidationError

from app.errors import InvalidSubmission
from app.identifiers import (
    landline_valid,
    mobile_valid,
    money_valid,
    resident_id_problem,
    uscc_problem,
)
from app.task_forms.messages import MESSAGES, message

__all__ = ["FORM_ERROR_KEY", "ORG_CODE_PATTERN", "format_checker", "validate", "collect_errors"]

FORM_ERROR_KEY = "__form__"
ORG_CODE_PATTERN = re.compile(r"^[A-Z0-9]+(-[A-Z0-9]+)*$")
_DATE = re.compile(r"^\d{4}-\d{2}-\d{2}$", re.ASCII)
_DATE_TIME = re.compile(r"^\d{4}-\d{2}-\d{2}[Tt ]\d{2}:\d{2}:\d{2}(\.\d{1,6})?([Zz]|[+-]\d{2}:\d{2})$", re.ASCII)
_EMAIL = re.compile(r"^[^@\s]{1,64}@[^@\s.]+(\.[^@\s.]+)+$")


class FormatReason(ValueError):
    """Raised by a format check to name the specific reason (e.g. 'check', 'length')."""

    def __init__(self, reason: str):
        super().__init__(reason)
        self.reason = reason


def _uscc(value: Any) -> bool:
    if isinstance(value, str) and (reason := uscc_problem(value)):
        raise FormatReason(reason)
    return True


def _cn_id(value: Any) -> bool:
    if isinstance(value, str) and (reason := resident_id_problem(value)):
        raise FormatReason(reason)
    return True


def _strings_only(check):
    def wrapper(value: Any) -> bool:
        return not isinstance(value, str) or check(value)

    return wrapper


def _is_date(value: str) -> bool:
    if not _DATE.match(value):
        return False
    try:
        date.fromisoformat(value)
    except ValueError:
        return False
    return True


def _is_date_time(value: str) -> bool:
    if not _DATE_TIME.match(value):
        return False
    try:
        datetime.fromisoformat(value)
    except ValueError:
        return False
    return True


def format_checker(org_codes: Iterable[str] | None = None) -> FormatChecker:
    """A FormatChecker with exactly our formats (unknown formats are not asserted)."""
    checker = FormatChecker(formats=())
    checker.checks("uscc", raises=FormatReason)(_uscc)
    checker.checks("cn-id", raises=FormatReason)(_cn_id)
    checker.checks("cn-mobile")(_strings_only(mobile_valid))
    checker.checks("cn-phone")(_strings_only(lambda v: mobile_valid(v) or landline_valid(v)))
    checker.checks("money")(_strings_only(money_valid))
    checker.checks("date")(_strings_only(_is_date))
    checker.checks("date-time")(_strings_only(_is_date_time))
    checker.checks("email")(_strings_only(lambda v: len(v) <= 254 and bool(_EMAIL.match(v))))
    known = None if org_codes is None else frozenset(org_codes)

    def _org_code(value: Any) -> bool:
        if not isinstance(value, str):
            return True
        if not ORG_CODE_PATTERN.match(value):
            raise FormatReason("pattern")
        return known is None or value in known

    checker.checks("org-code", raises=FormatReason)(_org_code)
    return checker


_DEFAULT_CHECKER = format_checker()


def validate(schema: dict, data: dict, locale: str = "zh", org_codes: Iterable[str] | None = None) -> None:
    """Raise InvalidSubmission with every field error, or return None when data is valid."""
    errors = collect_errors(schema, data, locale=locale, org_codes=org_codes)
    if errors:
        raise InvalidSubmission(errors)


def collect_errors(
    schema: dict, data: Any, locale: str = "zh", org_codes: Iterable[str] | None = None
) -> dict[str, list[str]]:
    checker = _DEFAULT_CHECKER if org_codes is None else format_checker(org_codes)
    validator = Draft202012Validator(schema, format_checker=checker)
    result: dict[str, list[str]] = {}
    seen_required: set[tuple] = set()

    def add(path: list, text: str) -> None:
        key = ".".join(str(p) for p in path) or FORM_ERROR_KEY
        bucket = result.setdefault(key, [])
        if text not in bucket:
            bucket.append(text)

    for error in validator.iter_errors(data):
        path = list(error.absolute_path)
        kind = error.validator
        if kind == "required":
            marker = (tuple(path), tuple(error.absolute_schema_path))
            if marker in seen_required or not isinstance(error.instance, dict):
                continue
            seen_required.add(marker)
            for name in error.validator_value:
                if name not in error.instance:
                    add(path + [name], message("required", locale))
        elif kind in ("additionalProperties", "unevaluatedProperties"):
            for name in _extra_properties(error):
                add(path + [name], message("unknown_field", locale))
        else:
            add(path, _message_for(error, locale))
    return result


def _extra_properties(error: ValidationError) -> list[str]:
    instance = error.instance if isinstance(error.instance, dict) else {}
    schema = error.schema if isinstance(error.schema, dict) else {}
    declared = set(schema.get("properties") or {})
    patterns = [re.compile(p) for p in (schema.get("patternProperties") or {})]
    return [k for k in instance if k not in declared and not any(p.search(k) for p in patterns)]


def _message_for(error: ValidationError, locale: str) -> str:
    kind = error.validator
    value = error.validator_value
    if kind == "type":
        expected = value if isinstance(value, str) else (value[0] if len(value) == 1 else "")
        return message(f"type.{expected}" if expected else "type", locale)
    if kind == "const":
        if value is True:
            return message("const.true", locale)
        return message("const", locale, value=value)
    if kind == "format":
        reason = getattr(error.cause, "reason", None)
        candidates = ([f"format.{value}.{reason}"] if reason else []) + [f"format.{value}", "format"]
        return message(next(k for k in candidates if k in MESSAGES), locale)
    if kind in (
        "minLength", "maxLength", "minimum", "maximum", "exclusiveMinimum", "exclusiveMaximum",
        "multipleOf", "minItems", "maxItems",
    ):
        return message(kind, locale, limit=value)
    if kind in ("enum", "pattern", "uniqueItems", "oneOf", "anyOf", "not"):
        return message(kind, locale)
    return message("invalid", locale)
