"""Turn a JSON Schema (+ optional RJSF-style ui schema) into FieldSpecs the renderer draws.

The JSON Schema is the single source of truth; the ui schema only orders fields and picks
widgets/help/placeholders (``ui:order``, ``ui:widget``, ``ui:help``, ``ui:placeholder``,
``ui:options``, ``ui:enumNames``, ``ui:title``, ``ui:description``). Nested objects and array
items take their ui from ``ui[prop]`` and ``ui[prop]["items"]``.

Field names are dotted paths: ``complainant.uscc``. Children of a ``rows`` field (array of
objects) use ``*`` for the row index: ``contracts.*.amount`` (the HTML input is
``contracts.0.amount``; validation errors are reported as ``contracts.0.amount``).
"""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Iterator

from jsonschema import Draft202012Validator
from jsonschema.exceptions import SchemaError

__all__ = [
    "FORMATS",
    "FieldSpec",
    "FormSpec",
    "SUPPORTED_WIDGETS",
    "check_supported",
    "load_form",
]

SUPPORTED_WIDGETS = frozenset(
    {
        "text", "textarea", "number", "money", "date", "datetime", "select", "radio", "checkbox",
        "checkboxes", "file", "org-picker", "rows", "section", "hidden",
    }
)
FORMATS = frozenset({"uscc", "cn-mobile", "cn-phone", "cn-id", "money", "date", "date-time", "email", "org-code"})
SCALAR_TYPES = frozenset({"string", "integer", "number", "boolean"})

# Keywords the renderer understands (validation supports everything jsonschema does, but a form
# the renderer cannot draw faithfully is refused at deployment).
_FIELD_KEYWORDS = frozenset(
    {
        "type", "title", "description", "default", "examples", "enum", "const", "oneOf", "format",
        "minLength", "maxLength", "pattern", "minimum", "maximum", "exclusiveMinimum",
        "exclusiveMaximum", "multipleOf", "items", "minItems", "maxItems", "uniqueItems",
        "properties", "required", "additionalProperties", "if", "then", "else", "allOf",
        "readOnly", "$comment",
    }
)
_ROOT_KEYWORDS = _FIELD_KEYWORDS | {"$schema", "$id"}
_CHOICE_KEYWORDS = frozenset({"const", "title", "description"})
_UI_KEYS = frozenset(
    {
        "ui:order", "ui:widget", "ui:help", "ui:placeholder", "ui:options", "ui:enumNames", "ui:title",
        "ui:description", "ui:readonly", "ui:autofocus", "ui:submitButtonOptions",
    }
)


@dataclass
class FieldSpec:
    name: str
    title: str
    type: str
    widget: str
    description: str = ""
    format: str | None = None
    required: bool = False
    choices: list[tuple[Any, str]] = field(default_factory=list)
    help: str = ""
    placeholder: str = ""
    children: list["FieldSpec"] = field(default_factory=list)
    minimum: float | int | None = None
    maximum: float | int | None = None
    min_length: int | None = None
    max_length: int | None = None
    min_items: int | None = None
    max_items: int | None = None
    pattern: str | None = None
    const: Any = None
    default: Any = None
    item_type: str | None = None  # element type of an array field
    multiple: bool = False  # array of scalars (checkboxes, several files)
    readonly: bool = False
    options: dict[str, Any] = field(default_factory=dict)

    @property
    def key(self) -> str:
        """The property name (last segment of the dotted name)."""
        return self.name.rsplit(".", 1)[-1]

    @property
    def is_declaration(self) -> bool:
        """A boolean that must be ticked (``const: true``)."""
        return self.type == "boolean" and self.const is True


@dataclass
class FormSpec:
    schema: dict
    ui: dict
    title: str
    description: str
    fields: list[FieldSpec]

    def iter_fields(self) -> Iterator[FieldSpec]:
        """Every field, depth first (sections and rows before their children)."""
        stack = list(reversed(self.fields))
        while stack:
            spec = stack.pop()
            yield spec
            stack.extend(reversed(spec.children))

    def field(self, name: str) -> FieldSpec:
        for spec in self.iter_fields():
            if spec.name == name:
                return spec
        raise KeyError(name)


def load_form(schema: dict, ui: dict | None = None) -> FormSpec:
    ui = ui or {}
    return FormSpec(
        schema=schema,
        ui=ui,
        title=ui.get("ui:title") or schema.get("title", ""),
        description=ui.get("ui:description") or schema.get("description", ""),
        fields=_object_fields(schema, ui, prefix=""),
    )


def _ordered(properties: dict, ui: dict) -> list[str]:
    order = ui.get("ui:order")
    names = list(properties)
    if not order:
        return names
    head: list[str] = []
    tail: list[str] = []
    target = head
    for name in order:
        if name == "*":
            target = tail
        elif name in properties and name not in head and name not in tail:
            target.append(name)
    rest = [n for n in names if n not in head and n not in tail]
    return head + rest + tail


def _object_fields(schema: dict, ui: dict, prefix: str) -> list[FieldSpec]:
    properties = schema.get("properties") or {}
    required = set(schema.get("required") or [])
    return [
        _field(properties[name], ui.get(name) or {}, prefix + name, name in required)
        for name in _ordered(properties, ui)
    ]


def _choices(schema: dict, ui: dict) -> list[tuple[Any, str]]:
    if "enum" in schema:
        names = ui.get("ui:enumNames") or []
        return [(v, str(names[i]) if i < len(names) else str(v)) for i, v in enumerate(schema["enum"])]
    if "oneOf" in schema and all(isinstance(o, dict) and "const" in o for o in schema["oneOf"]):
        return [(o["const"], str(o.get("title", o["const"]))) for o in schema["oneOf"]]
    return []


def _derive_widget(schema: dict, ui: dict, has_choices: bool) -> str:
    requested = ui.get("ui:widget")
    if requested in SUPPORTED_WIDGETS:
        return requested
    typ = schema.get("type")
    fmt = schema.get("format")
    if typ == "object":
        return "section"
    if typ == "array":
        items = schema.get("items") or {}
        if items.get("type") == "object":
            return "rows"
        if _choices(items, {}):
            return "checkboxes"
        if items.get("format") == "org-code":
            return "org-picker"
        return "text"
    if typ == "boolean":
        return "checkbox"
    if has_choices:
        return "select"
    if typ in ("integer", "number"):
        return "number"
    if fmt == "money":
        return "money"
    if fmt == "date":
        return "date"
    if fmt == "date-time":
        return "datetime"
    if fmt == "org-code":
        return "org-picker"
    return "text"


def _field(schema: dict, ui: dict, name: str, required: bool) -> FieldSpec:
    typ = schema.get("type") if isinstance(schema.get("type"), str) else "string"
    items = schema.get("items") if isinstance(schema.get("items"), dict) else {}
    choices = _choices(schema, ui) or (_choices(items, ui) if typ == "array" else [])
    widget = _derive_widget(schema, ui, bool(choices))
    options = dict(ui.get("ui:options") or {})
    spec = FieldSpec(
        name=name,
        title=str(ui.get("ui:title") or schema.get("title") or name.rsplit(".", 1)[-1]),
        description=str(ui.get("ui:description") or schema.get("description") or ""),
        type=typ,
        format=schema.get("format") or (items.get("format") if typ == "array" else None),
        widget=widget,
        required=required,
        choices=choices,
        help=str(ui.get("ui:help") or ""),
        placeholder=str(ui.get("ui:placeholder") or ""),
        minimum=schema.get("minimum", schema.get("exclusiveMinimum")),
        maximum=schema.get("maximum", schema.get("exclusiveMaximum")),
        min_length=schema.get("minLength"),
        max_length=schema.get("maxLength"),
        min_items=schema.get("minItems"),
        max_items=schema.get("maxItems"),
        pattern=schema.get("pattern"),
        const=schema.get("const"),
        default=schema.get("default"),
        readonly=bool(schema.get("readOnly") or ui.get("ui:readonly")),
        options=options,
    )
    if typ == "object":
        spec.children = _object_fields(schema, ui, prefix=name + ".")
    elif typ == "array":
        spec.item_type = items.get("type") if isinstance(items.get("type"), str) else "string"
        if spec.item_type == "object":
            spec.children = _object_fields(items, ui.get("items") or {}, prefix=name + ".*.")
        else:
            spec.multiple = True
    return spec


# -- what the renderer supports ---------------------------------------------------------------------

def check_supported(schema: dict, ui: dict | None = None) -> list[str]:
    """Problems that stop our renderer from drawing this form (empty list: fine)."""
    problems: list[str] = []
    try:
        Draft202012Validator.check_schema(schema)
    except SchemaError as exc:
        where = "/".join(str(p) for p in exc.path) or "(root)"
        problems.append(f"not a valid JSON Schema 2020-12 at {where}: {exc.message}")
        return problems
    if schema.get("type") != "object":
        problems.append("the form schema must have type 'object' at its root")
    for key in schema:
        if key not in _ROOT_KEYWORDS and not key.startswith("x-"):
            problems.append(f"(root): unsupported keyword '{key}'")
    _check_object(schema, ui or {}, "", problems)
    _check_conditionals(schema, "", problems)
    return problems


def _check_object(schema: dict, ui: dict, path: str, problems: list[str]) -> None:
    properties = schema.get("properties") or {}
    where = path or "(root)"
    ap = schema.get("additionalProperties", None)
    if ap not in (None, False, True):
        problems.append(f"{where}: additionalProperties must be true or false")
    for req in schema.get("required") or []:
        if req not in properties:
            problems.append(f"{where}: required field '{req}' is not declared in properties")
    _check_ui_keys(ui, set(properties), where, problems, allow_items=False)
    for name in ui.get("ui:order") or []:
        if name != "*" and name not in properties:
            problems.append(f"{where}: ui:order names unknown field '{name}'")
    for name, sub in properties.items():
        _check_field(sub if isinstance(sub, dict) else {}, ui.get(name) or {}, f"{path}{name}", problems)


def _check_ui_keys(ui: dict, names: set[str], where: str, problems: list[str], allow_items: bool) -> None:
    for key in ui:
        if key.startswith("ui:"):
            if key not in _UI_KEYS:
                problems.append(f"{where}: unsupported ui key '{key}'")
        elif key == "items" and allow_items:
            continue
        elif key not in names:
            problems.append(f"{where}: ui schema refers to unknown field '{key}'")


def _check_field(schema: dict, ui: dict, path: str, problems: list[str]) -> None:
    for key in schema:
        if key not in _FIELD_KEYWORDS and not key.startswith("x-"):
            problems.append(f"{path}: unsupported keyword '{key}'")
    typ = schema.get("type")
    if not isinstance(typ, str):
        problems.append(f"{path}: 'type' must be one of string, integer, number, boolean, object, array")
        return
    if typ not in SCALAR_TYPES | {"object", "array"}:
        problems.append(f"{path}: unsupported type '{typ}'")
        return
    if "oneOf" in schema and not all(
        isinstance(o, dict) and "const" in o and set(o) <= _CHOICE_KEYWORDS for o in schema["oneOf"]
    ):
        problems.append(f"{path}: oneOf is supported only as a list of {{const, title}} choices")
    fmt = schema.get("format")
    if fmt is not None and fmt not in FORMATS:
        problems.append(f"{path}: unsupported format '{fmt}'")
    widget = ui.get("ui:widget")
    if widget is not None and widget not in SUPPORTED_WIDGETS:
        problems.append(f"{path}: unsupported widget '{widget}'")
    has_choices = bool(_choices(schema, {}))
    if widget in ("select", "radio") and not has_choices and typ != "boolean":
        problems.append(f"{path}: widget '{widget}' needs enum or oneOf choices")
    if widget == "money" and fmt != "money":
        problems.append(f"{path}: widget 'money' needs format 'money'")
    if widget == "file" and not (typ == "string" or (typ == "array" and (schema.get("items") or {}).get("type") == "string")):
        problems.append(f"{path}: widget 'file' needs a string or an array of strings")
    if typ == "object":
        if widget not in (None, "section"):
            problems.append(f"{path}: an object can only be drawn as a section")
        _check_object(schema, ui, path + ".", problems)
        _check_conditionals(schema, path + ".", problems)
    elif typ == "array":
        items = schema.get("items")
        if not isinstance(items, dict):
            problems.append(f"{path}: an array needs one 'items' schema")
            return
        item_type = items.get("type")
        if item_type == "object":
            if widget not in (None, "rows"):
                problems.append(f"{path}: an array of objects can only be drawn as rows")
            _check_object(items, ui.get("items") or {}, path + ".*.", problems)
            _check_conditionals(items, path + ".*.", problems)
        elif item_type in SCALAR_TYPES:
            ok = bool(_choices(items, {})) or widget in ("file", "org-picker") or items.get("format") == "org-code"
            if not ok:
                problems.append(f"{path}: an array of {item_type} needs enum choices (checkboxes) or the file widget")
            for key in items:
                if key not in _FIELD_KEYWORDS and not key.startswith("x-"):
                    problems.append(f"{path}.items: unsupported keyword '{key}'")
        else:
            problems.append(f"{path}: unsupported array item type '{item_type}'")
        _check_ui_keys(ui, set(), path, problems, allow_items=True)
    else:
        _check_ui_keys(ui, set(), path, problems, allow_items=False)


def _check_conditionals(schema: dict, prefix: str, problems: list[str]) -> None:
    """if/then/else may only constrain declared fields (the renderer draws `properties`)."""
    declared = set((schema.get("properties") or {}))
    branches = [schema] + [s for s in schema.get("allOf") or [] if isinstance(s, dict)]
    for branch in branches:
        for key in ("if", "then", "else"):
            sub = branch.get(key)
            if not isinstance(sub, dict):
                continue
            for name in list(sub.get("properties") or {}) + list(sub.get("required") or []):
                if name not in declared:
                    where = prefix.rstrip(".") or "(root)"
                    problems.append(f"{where}: '{key}' refers to field '{name}' that is not declared in properties")
