"""A form's two JSON texts as the form editor sees them: which draft files hold a form, the texts
parsed with line and column on a syntax error, what our renderer cannot draw (`check_supported`)
and the FormSpec the preview draws. Nothing here raises for bad text: every problem is a value."""
from __future__ import annotations

import hashlib
import json
import re
from dataclasses import dataclass, field

from flask_babel import gettext as _

from app.task_forms import FormSpec, check_supported, load_form

SCHEMA_SUFFIX = ".schema.json"
UI_SUFFIX = ".ui.json"
FORM_NAME = re.compile(r"^[a-z][a-z0-9_]{0,60}$")
SCHEMA_DIALECT = "https://json-schema.org/draft/2020-12/schema"


@dataclass
class TextProblem:
    """A problem with one of the texts; `where` is "schema", "ui" or "" (the form as a whole)."""

    where: str
    message: str
    line: int | None = None
    column: int | None = None


@dataclass
class FormCheck:
    schema_text: str
    ui_text: str
    syntax: list[TextProblem] = field(default_factory=list)      # the texts are not usable JSON objects
    unsupported: list[str] = field(default_factory=list)         # check_supported: the renderer refuses these
    form: FormSpec | None = None                                  # what the preview draws (None: nothing to draw)

    @property
    def problem_count(self) -> int:
        return len(self.syntax) + len(self.unsupported)


@dataclass(frozen=True)
class FormFiles:
    name: str          # the editor's name for the form: the file name without .schema.json / .json
    schema_file: str
    ui_file: str
    has_ui: bool


def text_digest(text: str | None) -> str:
    """What the editor remembers of the text it opened, to notice a save over someone else's change."""
    return hashlib.sha256((text or "").encode("utf-8")).hexdigest()[:32]


def form_files(files: dict[str, str]) -> list[FormFiles]:
    """Every form of a draft: `<name>.schema.json` (or a plain `<name>.json`) with its `<name>.ui.json`."""
    out = []
    for file_name in sorted(files):
        if file_name.endswith(UI_SUFFIX) or not file_name.endswith(".json"):
            continue
        name = file_name[: -len(SCHEMA_SUFFIX)] if file_name.endswith(SCHEMA_SUFFIX) else file_name[: -len(".json")]
        ui_file = name + UI_SUFFIX
        out.append(FormFiles(name, file_name, ui_file, ui_file in files))
    return out


def find_form(files: dict[str, str], name: str) -> FormFiles | None:
    for entry in form_files(files):
        if entry.name == name:
            return entry
    return None


def _parse(text: str, where: str, max_bytes: int) -> tuple[dict | None, TextProblem | None]:
    if len(text.encode("utf-8")) > max_bytes:
        return None, TextProblem(where, _("内容过大（上限 %(n)s 字节）。", n=max_bytes))
    if not text.strip():
        return None, TextProblem(where, _("内容为空。"))
    try:
        value = json.loads(text)
    except json.JSONDecodeError as exc:
        return None, TextProblem(where, _("JSON 语法错误：%(msg)s", msg=exc.msg), exc.lineno, exc.colno)
    except (ValueError, RecursionError) as exc:
        return None, TextProblem(where, _("JSON 语法错误：%(msg)s", msg=str(exc)[:200]))
    if not isinstance(value, dict):
        return None, TextProblem(where, _("最外层必须是 JSON 对象（{ … }）。"), 1, 1)
    return value, None


def parse_json_object(text: str, where: str, max_bytes: int) -> tuple[dict | None, TextProblem | None]:
    """(the object, None) or (None, the problem with line and column when the syntax is wrong)."""
    return _parse(text or "", where, max_bytes)


def check_form_texts(schema_text: str, ui_text: str, max_bytes: int) -> FormCheck:
    """Parse both texts, ask the renderer what it cannot draw, and build the FormSpec to preview.
    An empty ui text means "no ui hints"."""
    check = FormCheck(schema_text or "", ui_text or "")
    schema, problem = _parse(check.schema_text, "schema", max_bytes)
    if problem:
        check.syntax.append(problem)
    ui: dict | None = {}
    if check.ui_text.strip():
        ui, problem = _parse(check.ui_text, "ui", max_bytes)
        if problem:
            check.syntax.append(problem)
    if schema is None or ui is None:
        return check
    try:
        check.unsupported = check_supported(schema, ui)
    except Exception as exc:  # noqa: BLE001 - a schema shaped in a way the checker never expected
        check.unsupported = [_("无法检查该表单：%(error)s", error=f"{type(exc).__name__}: {exc}"[:300])]
    try:
        check.form = load_form(schema, ui)
    except Exception as exc:  # noqa: BLE001 - the preview says so instead of failing
        check.syntax.append(TextProblem("", _("无法绘制该表单：%(error)s", error=f"{type(exc).__name__}: {exc}"[:300])))
    return check


def new_form_texts(name: str, title: str) -> tuple[str, str]:
    """The two files a new form starts with: one text field, ready to edit."""
    schema = {
        "$schema": SCHEMA_DIALECT,
        "title": title or name,
        "type": "object",
        "properties": {"note": {"type": "string", "title": "说明", "maxLength": 1000}},
        "required": [],
        "additionalProperties": False,
    }
    ui = {"ui:order": ["note"], "note": {"ui:widget": "textarea"}}
    return (json.dumps(schema, ensure_ascii=False, indent=2) + "\n",
            json.dumps(ui, ensure_ascii=False, indent=2) + "\n")
