"""HTML form strings → typed JSON per field, ready for validation.

Only declared fields are read (csrf_token and other extra keys are ignored). A value that cannot
be converted is kept as the string the user typed, so validation reports a plain type error at
that field rather than coercion failing silently. JSON API input skips this step.
"""
from __future__ import annotations

import re
import unicodedata
from datetime import datetime
from decimal import Decimal, InvalidOperation
from typing import Any, Mapping

from app.clock import SHANGHAI
from app.identifiers import mobile_valid, normalize_code, normalize_mobile, normalize_money
from app.task_forms.loader import FieldSpec, FormSpec

__all__ = ["coerce", "TRUE_VALUES", "FALSE_VALUES"]

TRUE_VALUES = frozenset({"true", "on", "1", "yes", "y", "是"})
FALSE_VALUES = frozenset({"false", "off", "0", "no", "n", "否"})

_ROW_INDEX = re.compile(r"^(\d{1,4})\.")


def coerce(form_spec: FormSpec, raw: Mapping[str, Any]) -> dict:
    """Convert submitted form values (str or list[str] per name, or a MultiDict) to typed data."""
    return _coerce_fields(form_spec.fields, _Source(raw), prefix_from="", prefix_to="")


class _Source:
    """Uniform access to a plain mapping (str | list[str] values) or a werkzeug-like MultiDict."""

    def __init__(self, raw: Mapping[str, Any]):
        self.raw = raw

    def getlist(self, name: str) -> list[str]:
        if hasattr(self.raw, "getlist"):
            values = self.raw.getlist(name)
        else:
            value = self.raw.get(name)
            values = [] if value is None else value if isinstance(value, (list, tuple)) else [value]
        return [v if isinstance(v, str) else str(v) for v in values]

    def get(self, name: str) -> str | None:
        values = self.getlist(name)
        return values[-1] if values else None  # the last wins (hidden "false" before a checkbox)

    def has(self, name: str) -> bool:
        return name in self.raw

    def keys_under(self, prefix: str) -> list[str]:
        return [k for k in self.raw.keys() if isinstance(k, str) and k.startswith(prefix)]


def _coerce_fields(fields: list[FieldSpec], src: _Source, prefix_from: str, prefix_to: str) -> dict:
    out: dict[str, Any] = {}
    for spec in fields:
        key = spec.key
        name = prefix_to + key
        if spec.readonly:
            continue
        if spec.type == "object":
            value = _coerce_fields(spec.children, src, "", name + ".")
            if value or spec.required:
                out[key] = value
            continue
        if spec.type == "array" and spec.item_type == "object":
            rows = _coerce_rows(spec, src, name)
            if rows:
                out[key] = rows
            continue
        if spec.type == "array":
            values = [_scalar(spec, spec.item_type or "string", v) for v in src.getlist(name)]
            values = [v for v in values if v is not None]
            if values:
                out[key] = values
            continue
        if spec.type == "boolean":
            value = _boolean(src.get(name))
            if value is None and spec.widget == "checkbox" and not src.has(name):
                value = False  # an unticked checkbox is not sent at all
            if value is not None:
                out[key] = value
            continue
        value = _scalar(spec, spec.type, src.get(name))
        if value is not None:
            out[key] = value
    return out


def _coerce_rows(spec: FieldSpec, src: _Source, name: str) -> list[dict]:
    indices = set()
    for key in src.keys_under(name + "."):
        m = _ROW_INDEX.match(key[len(name) + 1:])
        if m:
            indices.add(int(m.group(1)))
    rows = []
    for index in sorted(indices):
        row = _coerce_fields(spec.children, src, "", f"{name}.{index}.")
        if any(v not in (False, None, [], {}) for v in row.values()):
            rows.append(row)
    return rows


def _boolean(value: str | None) -> bool | str | None:
    if value is None:
        return None
    text = value.strip().lower()
    if text == "":
        return None
    if text in TRUE_VALUES:
        return True
    if text in FALSE_VALUES:
        return False
    return value  # validation reports "must be true or false"


def _scalar(spec: FieldSpec, typ: str, value: str | None) -> Any:
    if value is None:
        return None
    if typ == "boolean":
        return _boolean(value)
    text = unicodedata.normalize("NFKC", value) if typ in ("integer", "number") else value
    if spec.widget != "textarea":
        text = text.strip()
    if text.strip() == "":
        return None
    if typ == "integer":
        cleaned = text.replace(",", "")
        return int(cleaned) if re.fullmatch(r"[+-]?\d{1,18}", cleaned) else text
    if typ == "number":
        cleaned = text.replace(",", "")
        try:
            number = Decimal(cleaned)
        except InvalidOperation:
            return text
        if not number.is_finite():
            return text
        return int(number) if number == number.to_integral_value() and "." not in cleaned else float(number)
    return _string(spec.format, text)


def _string(fmt: str | None, text: str) -> str:
    if fmt in ("uscc", "cn-id"):
        return normalize_code(text)
    if fmt == "org-code":
        return text.strip().upper()
    if fmt == "cn-mobile":
        return normalize_mobile(text)
    if fmt == "cn-phone":
        mobile = normalize_mobile(text)
        return mobile if mobile_valid(mobile) else re.sub(r"\s+", "", unicodedata.normalize("NFKC", text))
    if fmt == "money":
        return normalize_money(text)
    if fmt == "date":
        return unicodedata.normalize("NFKC", text).strip()
    if fmt == "date-time":
        return _date_time(text)
    return text


def _date_time(text: str) -> str:
    """An HTML datetime-local value ('2026-03-01T10:30') is Beijing time: add the +08:00 offset."""
    text = unicodedata.normalize("NFKC", text).strip()
    try:
        moment = datetime.fromisoformat(text)
    except ValueError:
        return text
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=SHANGHAI)
    return moment.isoformat(timespec="seconds")
