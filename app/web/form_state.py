"""What a rendered JSON-Schema form shows: input values from typed data or from the submitted
request, the ordered error summary, the file fields a view must read from request.files.

The macros in templates/macros/form.html read a flat mapping of *concrete* dotted names
(`complainant.uscc`, rows as `contracts.0.amount`) to what each input shows: a string, or a
list of strings for multi-valued inputs (checkboxes, several files, a multiple org picker).
Booleans show as "true"/"false" (what coerce() reads back), date-times as Beijing local time
in the `datetime-local` format.
"""
from __future__ import annotations

import re
from datetime import datetime
from typing import Any, Iterator, Mapping

from flask_babel import gettext

from app.clock import SHANGHAI
from app.task_forms import FORM_ERROR_KEY, FieldSpec, FormSpec

__all__ = [
    "error_summary",
    "field_label",
    "file_fields",
    "input_text",
    "schema_text",
    "values_from_data",
    "values_from_request",
]

Values = dict[str, "str | list[str]"]

_ROW_INDEX = re.compile(r"^(\d{1,4})\.")


def input_text(value: Any) -> str:
    """One typed value as an input shows it (the same text the macros compare choices with)."""
    if value is None:
        return ""
    if value is True:
        return "true"
    if value is False:
        return "false"
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value)


def schema_text(text: str) -> str:
    """A title/description/help/choice label from a schema, translated like the macros do.

    The templates use Jinja's new-style gettext, which treats every message as a %-format
    string; a literal % in a schema string is therefore looked up as %%."""
    if not text:
        return ""
    return gettext(text.replace("%", "%%")) % {}


# -- values ----------------------------------------------------------------------------------------

def values_from_data(form: FormSpec, data: Mapping[str, Any] | None) -> Values:
    """Typed form data (as stored, or as coerce() made it) → what each input shows."""
    values: Values = {}
    _data_values(form.fields, data or {}, "", values)
    return values


def _data_values(fields: list[FieldSpec], data: Mapping[str, Any], prefix: str, out: Values) -> None:
    if not isinstance(data, Mapping):
        return
    for spec in fields:
        if spec.key not in data:
            continue
        name = prefix + spec.key
        value = data[spec.key]
        if spec.widget == "section" or spec.type == "object":
            _data_values(spec.children, value if isinstance(value, Mapping) else {}, name + ".", out)
        elif spec.widget == "rows" or (spec.type == "array" and spec.item_type == "object"):
            for index, row in enumerate(value if isinstance(value, list) else []):
                _data_values(spec.children, row if isinstance(row, Mapping) else {}, f"{name}.{index}.", out)
        elif spec.type == "array" or spec.multiple:
            items = value if isinstance(value, list) else [value]
            out[name] = [_shown(spec, v) for v in items]
        else:
            out[name] = _shown(spec, value)


def _shown(spec: FieldSpec, value: Any) -> str:
    if spec.format == "date-time" and isinstance(value, str) and value:
        try:
            moment = datetime.fromisoformat(value)
        except ValueError:
            return value
        if moment.tzinfo is not None:
            moment = moment.astimezone(SHANGHAI)
        return moment.strftime("%Y-%m-%dT%H:%M")
    return input_text(value)


def values_from_request(form: FormSpec, multidict: Mapping[str, Any]) -> Values:
    """Exactly what the user sent, per concrete field name, to re-render the form after an error.

    A scalar input shows the last value sent under its name (what coerce() reads: the hidden
    "false" before a ticked checkbox loses to "true"); multi-valued inputs keep every non-empty
    value. Names the form does not declare are left out; files are not values (request.files)."""
    values: Values = {}
    _request_values(form.fields, _Source(multidict), "", values)
    return values


class _Source:
    def __init__(self, raw: Mapping[str, Any]):
        self.raw = raw

    def getlist(self, name: str) -> list[str]:
        if hasattr(self.raw, "getlist"):
            got = self.raw.getlist(name)
        else:
            value = self.raw.get(name)
            got = [] if value is None else value if isinstance(value, (list, tuple)) else [value]
        return [v if isinstance(v, str) else str(v) for v in got]

    def has(self, name: str) -> bool:
        return name in self.raw

    def row_indices(self, name: str) -> list[int]:
        found = set()
        for key in self.raw.keys():
            if isinstance(key, str) and key.startswith(name + "."):
                m = _ROW_INDEX.match(key[len(name) + 1:])
                if m:
                    found.add(int(m.group(1)))
        return sorted(found)


def _request_values(fields: list[FieldSpec], src: _Source, prefix: str, out: Values) -> None:
    for spec in fields:
        name = prefix + spec.key
        if spec.widget == "file":
            continue
        if spec.widget == "section" or spec.type == "object":
            _request_values(spec.children, src, name + ".", out)
        elif spec.widget == "rows" or (spec.type == "array" and spec.item_type == "object"):
            for index in src.row_indices(name):
                _request_values(spec.children, src, f"{name}.{index}.", out)
        elif not src.has(name):
            continue
        elif spec.type == "array" or spec.multiple:
            out[name] = [v for v in src.getlist(name) if v != ""]
        else:
            sent = src.getlist(name)
            out[name] = sent[-1] if sent else ""


# -- errors ----------------------------------------------------------------------------------------

def _concrete_fields(fields: list[FieldSpec], values: Mapping[str, Any], errors: Mapping[str, Any],
                     prefix: str, trail: tuple[FieldSpec | int, ...]) -> Iterator[tuple[str, tuple]]:
    """(concrete name, trail of specs and row numbers) in the order the form draws them."""
    for spec in fields:
        name = prefix + spec.key
        path = trail + (spec,)
        yield name, path
        if spec.widget == "section" or spec.type == "object":
            yield from _concrete_fields(spec.children, values, errors, name + ".", path)
        elif spec.widget == "rows" or (spec.type == "array" and spec.item_type == "object"):
            indices = set()
            for key in list(values) + list(errors):
                if isinstance(key, str) and key.startswith(name + "."):
                    m = _ROW_INDEX.match(key[len(name) + 1:])
                    if m:
                        indices.add(int(m.group(1)))
            for index in sorted(indices):
                yield from _concrete_fields(spec.children, values, errors, f"{name}.{index}.", path + (index,))


def field_label(trail: tuple) -> str:
    """'合同清单 · 第 2 行 · 金额': the translated titles from the top section down to the field
    (a title's closing full stop dropped, as the summary puts a colon after it)."""
    parts = []
    for step in trail:
        if isinstance(step, int):
            parts.append(gettext("第 %(n)s 行", n=step + 1))
        else:
            parts.append(schema_text(step.title).strip("。."))
    return " · ".join(parts)


def error_summary(form: FormSpec, errors: Mapping[str, list[str]] | None,
                  values: Mapping[str, Any] | None = None) -> list[tuple[str, str, str]]:
    """(concrete dotted name, label, message) for every field error, in the order of the form.

    Form-level errors (FORM_ERROR_KEY) are not in the list (the form shows them above the
    summary); errors at names the form does not draw (an unknown field) come last, labelled
    with their name."""
    errors = errors or {}
    summary: list[tuple[str, str, str]] = []
    seen: set[str] = set()
    for name, trail in _concrete_fields(form.fields, values or {}, errors, "", ()):
        if name in errors and name not in seen:
            seen.add(name)
            label = field_label(trail)
            summary.extend((name, label, message) for message in errors[name])
    for name, messages in errors.items():
        if name not in seen and name != FORM_ERROR_KEY:
            summary.extend((name, name, message) for message in messages)
    return summary


def file_fields(form: FormSpec) -> list[FieldSpec]:
    """The fields drawn as file inputs (their uploads are in request.files, not request.form)."""
    return [spec for spec in form.iter_fields() if spec.widget == "file"]
