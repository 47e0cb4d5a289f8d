"""The form editor: a form's JSON Schema and ui hints from the process's draft, a preview drawn by
the task page's macros that reports JSON syntax errors (line and column) and what the renderer does
not support, saving into the draft (a stale save is refused), new forms, read-only for admins."""
from __future__ import annotations

import html
import json
import re

from app.db import db
from app.models import ModelDraft
from tests.web.conftest import csrf_from
from tests.web.staff_pages import text

KEY = "breach_complaint"
EDITOR = f"/models/{KEY}/forms/triage"

VISIT = {
    "type": "object",
    "title": "回访记录",
    "properties": {
        "visit_result": {"type": "string", "title": "回访结果", "oneOf": [{"const": "satisfied", "title": "满意"},
                                                                        {"const": "unsatisfied", "title": "不满意"}]},
        "visit_note": {"type": "string", "title": "回访说明", "maxLength": 500},
    },
    "required": ["visit_result"],
}


def _draft(app) -> ModelDraft | None:
    with app.app_context():
        draft = db.session.get(ModelDraft, KEY)
        if draft is not None:
            db.session.expunge(draft)
        db.session.remove()
    return draft


def _textarea(page: str, ident: str) -> str:
    match = re.search(rf'<textarea id="{ident}"[^>]*>(.*?)</textarea>', page, re.S)
    assert match, ident
    return html.unescape(match.group(1))


def _hidden(page: str, name: str) -> str:
    return re.search(rf'name="{name}" value="([^"]*)"', page).group(1)


def _preview(client, schema: str, ui: str = ""):
    token = csrf_from(text(client.get(EDITOR)))
    return client.post(f"{EDITOR}/preview", data={"schema": schema, "ui": ui}, headers={"X-CSRFToken": token})


def test_the_editor_shows_both_texts_and_the_form_as_the_task_page_draws_it(staff_client):
    page = text(staff_client("owner").get(EDITOR))
    schema, ui = _textarea(page, "schema-text"), _textarea(page, "ui-text")
    assert json.loads(schema)["title"] == "受理审查" and json.loads(ui)["intake_decision"]["ui:widget"] == "radio"
    preview = page[page.index("data-preview>"):]
    assert 'name="intake_decision" value="accept"' in preview and "检查通过" in preview
    assert "complaint_intake.bpmn" in page  # where the form is used


def test_the_preview_draws_the_fields_of_the_typed_schema(staff_client):
    resp = _preview(staff_client("owner"), json.dumps(VISIT, ensure_ascii=False),
                    json.dumps({"visit_result": {"ui:widget": "radio"}, "visit_note": {"ui:widget": "textarea"}}))
    assert resp.status_code == 200 and resp.mimetype == "text/html"
    fragment = text(resp)
    assert "<html" not in fragment  # a fragment, not a page
    assert "回访记录" in fragment and "回访结果" in fragment
    assert 'type="radio"' in fragment and 'name="visit_result" value="satisfied"' in fragment
    assert '<textarea' in fragment and 'name="visit_note"' in fragment


def test_the_preview_reports_keywords_the_renderer_does_not_support(staff_client):
    schema = dict(VISIT, patternProperties={"^x_": {"type": "string"}})
    fragment = html.unescape(text(_preview(staff_client("owner"), json.dumps(schema),
                                           '{"visit_note": {"ui:widget": "stars"}}')))
    assert "unsupported keyword 'patternProperties'" in fragment
    assert "unsupported widget 'stars'" in fragment
    assert 'data-problem-count="2"' in fragment


def test_the_preview_reports_json_syntax_errors_with_line_and_column(staff_client):
    fragment = text(_preview(staff_client("owner"), '{\n  "type": "object",\n  "title" "x"\n}', '{"ui:order": [}'))
    assert 'data-where="schema" data-line="3" data-col="11"' in fragment and "第 3 行第 11 列" in fragment
    assert 'data-where="ui" data-line="1" data-col="15"' in fragment
    assert "修正上述问题后显示预览" in fragment


def test_a_form_that_cannot_be_drawn_is_a_problem_not_a_500(staff_client):
    resp = _preview(staff_client("owner"), json.dumps(VISIT), '{"ui:order": 5}')
    assert resp.status_code == 200 and "无法绘制该表单" in text(resp)


def test_the_preview_needs_the_csrf_header(staff_client):
    client = staff_client("owner")
    client.get(EDITOR)
    assert client.post(f"{EDITOR}/preview", data={"schema": "{}"}).status_code == 400


def test_saving_writes_the_form_into_the_draft(app, staff_client):
    client = staff_client("owner")
    page = text(client.get(EDITOR))
    schema = _textarea(page, "schema-text").replace('"title": "受理审查"', '"title": "受理审查（试行）"', 1)
    resp = client.post(EDITOR, data={"csrf_token": csrf_from(page), "_action": "save", "schema": schema,
                                     "ui": _textarea(page, "ui-text"), "base_schema": _hidden(page, "base_schema"),
                                     "base_ui": _hidden(page, "base_ui")})
    assert resp.status_code == 302 and resp.headers["Location"].endswith(EDITOR)
    draft = _draft(app)
    assert draft.files["triage.schema.json"] == schema
    assert "complaint_intake.bpmn" in draft.files  # the rest of the process comes along
    page = text(client.get(EDITOR))
    assert "受理审查（试行）" in _textarea(page, "schema-text") and "已保存到草稿" in page


def test_a_schema_with_a_syntax_error_is_not_saved_and_the_text_is_kept(app, staff_client):
    client = staff_client("owner")
    page = text(client.get(EDITOR))
    resp = client.post(EDITOR, data={"csrf_token": csrf_from(page), "_action": "save", "schema": '{"type": ',
                                     "ui": "", "base_schema": _hidden(page, "base_schema"),
                                     "base_ui": _hidden(page, "base_ui")})
    assert resp.status_code == 422 and _textarea(text(resp), "schema-text") == '{"type": '
    assert _draft(app) is None


def test_a_save_over_someone_elses_change_is_refused_then_allowed(app, staff_client):
    client = staff_client("owner")
    page = text(client.get(EDITOR))
    base = {"base_schema": _hidden(page, "base_schema"), "base_ui": _hidden(page, "base_ui")}
    first = _textarea(page, "schema-text").replace("受理审查", "甲的修改", 1)
    second = _textarea(page, "schema-text").replace("受理审查", "乙的修改", 1)
    ui = _textarea(page, "ui-text")
    token = csrf_from(page)
    assert client.post(EDITOR, data={"csrf_token": token, "_action": "save", "schema": first, "ui": ui,
                                     **base}).status_code == 302
    resp = client.post(EDITOR, data={"csrf_token": token, "_action": "save", "schema": second, "ui": ui, **base})
    assert resp.status_code == 409 and "已被他人修改" in text(resp)
    assert _textarea(text(resp), "schema-text") == second and "甲的修改" in _draft(app).files["triage.schema.json"]
    again = text(resp)
    assert client.post(EDITOR, data={"csrf_token": token, "_action": "save", "schema": second, "ui": ui,
                                     "base_schema": _hidden(again, "base_schema"),
                                     "base_ui": _hidden(again, "base_ui")}).status_code == 302
    assert "乙的修改" in _draft(app).files["triage.schema.json"]


def test_the_preview_button_works_without_javascript_and_saves_nothing(app, staff_client):
    client = staff_client("owner")
    page = text(client.get(EDITOR))
    resp = client.post(EDITOR, data={"csrf_token": csrf_from(page), "_action": "preview",
                                     "schema": json.dumps(VISIT, ensure_ascii=False), "ui": ""})
    assert resp.status_code == 200 and 'name="visit_note"' in text(resp)
    assert _draft(app) is None


def test_a_new_form_creates_schema_and_ui_files_in_the_draft(app, staff_client):
    client = staff_client("owner")
    token = csrf_from(text(client.get("/models")))
    resp = client.post(f"/models/{KEY}/forms", data={"csrf_token": token, "name": "record_visit", "title": "回访记录"})
    assert resp.status_code == 302 and resp.headers["Location"].endswith(f"/models/{KEY}/forms/record_visit")
    files = _draft(app).files
    assert json.loads(files["record_visit.schema.json"])["title"] == "回访记录"
    assert json.loads(files["record_visit.ui.json"])["ui:order"] == ["note"]
    page = text(client.get(f"/models/{KEY}/forms/record_visit"))
    assert 'name="note"' in page and "检查通过" in page
    again = client.post(f"/models/{KEY}/forms", data={"csrf_token": token, "name": "record_visit"})
    assert again.status_code == 422 and "已有名为「record_visit」的表单" in text(again)
    bad = client.post(f"/models/{KEY}/forms", data={"csrf_token": token, "name": "Visit Form"})
    assert bad.status_code == 422 and 'value="Visit Form"' in text(bad)


def test_administrators_may_look_and_preview_but_not_save(app, staff_client):
    admin = staff_client("admin")
    page = text(admin.get(EDITOR))
    assert "保存到草稿" not in page and re.search(r'<textarea id="schema-text"[^>]*readonly', page)
    assert _preview(admin, json.dumps(VISIT)).status_code == 200
    resp = admin.post(EDITOR, data={"csrf_token": csrf_from(page), "_action": "save", "schema": "{}", "ui": "",
                                    "base_schema": _hidden(page, "base_schema"), "base_ui": _hidden(page, "base_ui")})
    assert resp.status_code == 403 and _draft(app) is None


def test_an_unknown_form_is_404(staff_client):
    assert staff_client("owner").get(f"/models/{KEY}/forms/no_such_form").status_code == 404
