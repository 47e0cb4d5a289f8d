"""The form editor in Debian's Chromium: the preview follows the typing (debounced POSTs of both
texts with the CSRF header, answered by the task page's macros), a syntax error marks its line in
the gutter and clicking it puts the cursor there, and the editor fits a phone's width. Any console
error, CSP violation or HTTP error fails the test (tests/browser/conftest.py)."""
from __future__ import annotations

import json

EDITOR = "/models/breach_complaint/forms/triage"


def _schema(page) -> dict:
    return json.loads(page.input_value("#schema-text"))


def test_the_preview_updates_as_the_schema_is_typed(page, login):
    login(page, "owner", next=EDITOR)
    preview = page.locator("[data-preview]")
    assert preview.locator('input[name="intake_decision"][value="accept"]').count() == 1
    posts = []
    page.on("request", lambda req: posts.append(req) if req.url.endswith("/preview") else None)

    schema = _schema(page)
    schema["properties"]["visit_note"] = {"type": "string", "title": "回访说明", "maxLength": 200}
    page.fill("#schema-text", json.dumps(schema, ensure_ascii=False, indent=2))
    preview.locator('textarea[name="visit_note"], input[name="visit_note"]').wait_for()
    assert "回访说明" in preview.inner_text()
    assert posts and posts[-1].headers.get("x-csrftoken") and "visit_note" in posts[-1].post_data

    # typing character by character sends one preview after the pause, not one per key
    sent = len(posts)
    page.click("#schema-text")
    page.keyboard.press("Control+End")
    with page.expect_request(lambda req: req.url.endswith("/preview")):
        page.keyboard.type("          ", delay=30)
    page.wait_for_timeout(700)  # a second request would have gone by now
    assert len(posts) - sent == 1

    # a keyword the renderer does not support is reported at once
    schema["properties"]["visit_note"]["contentEncoding"] = "base64"
    page.fill("#schema-text", json.dumps(schema, ensure_ascii=False, indent=2))
    preview.get_by_text("unsupported keyword 'contentEncoding'").wait_for()


def test_a_syntax_error_marks_its_line_and_leads_the_cursor_there(page, login):
    login(page, "owner", next=EDITOR)
    page.fill("#ui-text", '{\n  "ui:order": [\n    "intake_decision"\n  ,\n}')
    problem = page.locator('[data-preview] li[data-where="ui"]')
    problem.wait_for()
    line = int(problem.get_attribute("data-line"))
    marked = page.locator('[data-code-editor="ui"] .code-gutter span.is-error')
    marked.wait_for()
    assert marked.inner_text() == str(line)
    problem.click()
    caret_line = page.evaluate(
        "() => { const t = document.querySelector('#ui-text'); return t.value.slice(0, t.selectionStart).split('\\n').length; }")
    assert caret_line == line
    assert page.locator("#ui-text").evaluate("t => document.activeElement === t")
    # fixing it clears the mark and draws the form again, now without the radio widget of the ui hints
    page.fill("#ui-text", '{"ui:order": ["intake_decision", "*"]}')
    page.locator('[data-preview] select[name="intake_decision"]').wait_for()
    assert page.locator('[data-code-editor="ui"] .code-gutter span.is-error').count() == 0


def test_the_editor_fits_a_phone(phone_page, login):
    login(phone_page, "owner", next=EDITOR)
    overflow = phone_page.evaluate("() => document.documentElement.scrollWidth - document.documentElement.clientWidth")
    assert overflow <= 0
    box = phone_page.locator("#schema-text").bounding_box()
    assert box["width"] > 250
