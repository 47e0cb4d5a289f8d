"""Every field of every shipped task form refuses a value of the wrong type with a message at its path."""
import json
from pathlib import Path

import pytest

from app.errors import InvalidSubmission
from app.task_forms import check_supported, validate

FORMS = Path(__file__).resolve().parents[2] / "forms"


def _fields(schema, prefix=""):
    for name, prop in schema.get("properties", {}).items():
        path = prefix + name
        if prop.get("type") == "object" and "properties" in prop:
            yield from _fields(prop, path + ".")
        else:
            yield path, prop


def _wrong(prop):
    t = prop.get("type")
    if t in ("integer", "number", "boolean", "array"):
        return {"not": "this"}
    return 12345


def _set(data, path, value):
    keys = path.split(".")
    for k in keys[:-1]:
        data = data.setdefault(k, {})
    data[keys[-1]] = value


CASES = [(f.name, path, prop) for f in sorted(FORMS.glob("*.schema.json"))
         for path, prop in _fields(json.loads(f.read_text(encoding="utf-8")))]


@pytest.mark.parametrize("form,path,prop", CASES, ids=[f"{f}:{p}" for f, p, _ in CASES])
def test_wrong_type_is_refused_at_the_field(form, path, prop):
    schema = json.loads((FORMS / form).read_text(encoding="utf-8"))
    data = {}
    _set(data, path, _wrong(prop))
    with pytest.raises(InvalidSubmission) as info:
        validate(schema, data, locale="zh")
    assert info.value.errors.get(path), info.value.errors


@pytest.mark.parametrize("form", sorted(p.name for p in FORMS.glob("*.schema.json")))
def test_every_shipped_form_is_renderable(form):
    schema = json.loads((FORMS / form).read_text(encoding="utf-8"))
    ui_path = FORMS / form.replace(".schema.json", ".ui.json")
    ui = json.loads(ui_path.read_text(encoding="utf-8")) if ui_path.exists() else None
    assert check_supported(schema, ui) == []
