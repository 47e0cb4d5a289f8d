"""The process owners' modeler in Chromium: open the lifecycle's verification phase, change the verify
task's due rule and its label in the properties panel, validate, deploy with a change note; a case
filed afterwards runs on the new version while one filed before stays on its own. A broken model
shows its problems on the right elements and cannot be deployed. The version diff draws the change.
Administrators look read-only. Everything under the strict CSP (browser_log fails on any violation).

Process definitions outlive a test, so the modeler works on a copy of the shipped lifecycle deployed
under its own root id (as tests/models_admin does); intake is pointed at it for the test."""
from __future__ import annotations


import pytest
from sqlalchemy import func, select

from app import clock
from app.config import ROOT
from app.db import db, unit_of_work
from app.models import Case, ModelDraft, ProcessDefinition, ProcessInstance, ReadyTask
from app.policy import Actor
from app.services import intake
from app.services.deployment import deploy_files
from tests.browser.test_workbench_journeys import shot
from tests.drive import ServiceDriver, complaint_for, ready, travel
from tests.lifecycle_paths import ACCEPT_AND_REFER

KEY = "breach_complaint_modeler"
VERIFICATION = "complaint_verification.bpmn"
RECTIFICATION = "complaint_rectification.bpmn"


def _lifecycle_files() -> dict[str, bytes]:
    """The shipped models and forms with the root process renamed to KEY."""
    files = {p.name: p.read_bytes() for p in sorted((ROOT / "bpmn").iterdir()) if p.suffix in (".bpmn", ".dmn")}
    files.update({p.name: p.read_bytes() for p in sorted((ROOT / "forms").glob("*.json"))})
    files["breach_complaint.bpmn"] = files["breach_complaint.bpmn"].replace(b'"breach_complaint"', f'"{KEY}"'.encode())
    return files


def _latest(key: str) -> int | None:
    return db.session.execute(select(func.max(ProcessDefinition.version)).where(ProcessDefinition.key == key)).scalar_one()


@pytest.fixture
def lifecycle(app, demo, monkeypatch) -> int:
    """The shipped lifecycle deployed as KEY (new complaints start on it); returns its latest version."""
    files = _lifecycle_files()
    with app.app_context():
        with unit_of_work(db.session):
            deploy_files(db.session, Actor.system("tests"), clock.now(),
                         {n: d for n, d in files.items() if n.endswith(".bpmn")},
                         {n: d for n, d in files.items() if n.endswith(".dmn")},
                         {n: d for n, d in files.items() if n.endswith(".json")}, "baseline")
        version = _latest(KEY)
        db.session.remove()
    monkeypatch.setattr(intake, "LIFECYCLE_KEY", KEY)
    return version


def _file_and_refer(app, contract_no: str) -> str:
    """A complaint filed, accepted and referred: its verify task is ready."""
    with app.app_context(), travel() as traveller:
        driver = ServiceDriver(traveller)
        case_no, _code = driver.file(complaint_for({"complaint": {"contract": {"contract_no": contract_no}}}))
        for step in ACCEPT_AND_REFER:
            driver.complete(case_no, step["task"], step["data"])
        db.session.remove()
    return case_no


def _case_version_and_verify(app, case_no: str) -> tuple[int, ReadyTask]:
    with app.app_context():
        case = db.session.execute(select(Case).where(Case.case_no == case_no)).scalar_one()
        version = db.session.execute(select(ProcessDefinition.version).join(
            ProcessInstance, ProcessInstance.definition_id == ProcessDefinition.id)
            .where(ProcessInstance.id == case.instance_id)).scalar_one()
        task = ready(case.id, "verify")
        db.session.expunge(task)
        db.session.remove()
    return version, task


def _open(page, login, user: str = "owner", file: str = VERIFICATION) -> None:
    login(page, user, next=f"/models/{KEY}/edit")
    page.wait_for_selector(".modeler.is-ready")
    page.click(f'.modeler-tab[data-file="{file}"]')
    page.wait_for_selector(f'.modeler[data-file="{file}"] .djs-element[data-element-id]')


def _select(page, element_id: str) -> None:
    """Click a shape; a connection (too thin to hit reliably) is selected the way a problem link does it."""
    element = page.locator(f'.modeler-canvas .djs-element[data-element-id="{element_id}"]')
    if "djs-connection" in (element.get_attribute("class") or ""):
        page.evaluate("(id) => document.querySelector('.modeler').modelerApp.selectElement(id)", element_id)
    else:
        element.click(position=_inside(page, element_id))
    page.wait_for_selector(f'.mp-id:text-is("{element_id}")')


def _inside(page, element_id: str) -> dict:
    """A point inside the shape but off its label (a click on a label would start editing it)."""
    box = page.locator(f'.modeler-canvas .djs-element[data-element-id="{element_id}"]').bounding_box()
    return {"x": min(8, box["width"] / 2), "y": min(8, box["height"] / 2)}


def _set(page, selector: str, value: str) -> None:
    page.fill(f".modeler-panel {selector}", value)
    page.press(f".modeler-panel {selector}", "Tab")


def test_owner_changes_the_due_rule_and_label_validates_and_deploys_a_new_version(app, page, login, lifecycle):
    before = _file_and_refer(app, "MODELER-1")
    _open(page, login)
    shot(page, "modeler_desk", full_page=False)

    # the verify task: role from its lane, form, due rule with the due date for a sample start
    _select(page, "verify")
    panel = page.locator(".modeler-panel")
    assert "handler" in panel.locator(".mp-role").inner_text()
    assert panel.locator("input[name=formJsonSchemaFilename]").input_value() == "verify.schema.json"
    assert panel.locator("input[name=dueRule]").input_value() == "10 workdays"
    _set(page, "input[name=dueRule]", "15 workdays")
    page.fill(".modeler-panel .mp-preview input[type=datetime-local]", "2026-03-02T09:00")
    page.wait_for_selector('.modeler-panel .mp-preview-due:text-is("2026-03-23 23:59")')
    _set(page, ".mp-section input.mp-input >> nth=0", "核实投诉情况")
    page.wait_for_selector('.modeler-canvas .djs-element[data-element-id="verify"] text:has-text("核实投诉情况")')
    assert page.locator("#modeler-dirty").is_visible()
    shot(page, "modeler_panel", full_page=False)

    page.click("#modeler-validate")
    page.wait_for_selector(".modeler-status.is-ok")
    assert page.locator("#modeler-problem-list .problem-none").count() == 1

    page.click("#modeler-deploy")
    page.wait_for_selector("#modeler-deploy-dialog[open]")
    page.click("#modeler-deploy-confirm")  # no change note yet
    assert page.locator("#modeler-deploy-error").is_visible()
    page.fill("#modeler-change-note", "核实时限改为 15 个工作日；任务更名")
    page.click("#modeler-deploy-confirm")
    page.wait_for_selector("#modeler-deploy-result:not([hidden])")
    new = lifecycle + 1
    assert f"版本 {new}" in page.locator("#modeler-deploy-message").inner_text()
    shot(page, "modeler_deployed", full_page=False)

    with app.app_context():
        row = db.session.execute(select(ProcessDefinition).where(
            ProcessDefinition.key == KEY, ProcessDefinition.version == new)).scalar_one()
        assert row.change_note == "核实时限改为 15 个工作日；任务更名"
        verification = row.files["bpmn"][VERIFICATION]
        assert 'value="15 workdays"' in verification and 'name="核实投诉情况"' in verification
        db.session.remove()

    # a case filed now runs on the new version; the one filed before stays on its own
    after = _file_and_refer(app, "MODELER-2")
    version_after, task_after = _case_version_and_verify(app, after)
    version_before, task_before = _case_version_and_verify(app, before)
    assert (version_after, task_after.due_rule, task_after.name) == (new, "15 workdays", "核实投诉情况")
    assert (version_before, task_before.due_rule, task_before.name) == (lifecycle, "10 workdays", "核实投诉")

    # the diff between the two versions draws the changed task
    page.click("#modeler-deploy-diff")
    page.wait_for_selector(".model-diff.is-ready")
    page.wait_for_selector('.diff-canvas[data-side="to"] .djs-element.diff-changed[data-element-id="verify"]')
    assert page.locator('.diff-canvas[data-side="from"] .djs-element.diff-changed[data-element-id="verify"]').count() == 1
    row = page.locator('.diff-table tr[data-element="verify"]')
    assert "办理时限" in row.inner_text() and "名称" in row.inner_text()
    assert page.evaluate("document.documentElement.scrollWidth - window.innerWidth") <= 0
    shot(page, "modeler_diff")


def test_a_broken_model_shows_its_problems_on_the_right_elements_and_cannot_deploy(app, page, login, lifecycle,
                                                                                   browser_log):
    _open(page, login)
    _select(page, "verify")
    _set(page, "input[name=formJsonSchemaFilename]", "missing.schema.json")
    assert page.locator(".modeler-panel .mp-warning").is_visible()  # not a form of the draft

    page.click(f'.modeler-tab[data-file="{RECTIFICATION}"]')
    page.wait_for_selector(f'.modeler[data-file="{RECTIFICATION}"] .djs-element[data-element-id="gw_done"]')
    _select(page, "gw_done")
    page.select_option(".modeler-panel select[name=default]", "")

    page.click("#modeler-validate")
    page.wait_for_selector(".modeler-status.is-error")
    found = {(item.get_attribute("data-element"), item.get_attribute("data-code"))
             for item in page.locator("#modeler-problem-list .problem-item").all()}
    assert found == {("verify", "unknown-form"), ("gw_done", "no-default"), ("f_not_done", "no-condition")}
    # drawn on the open diagram: the gateway and its flow without a condition, each with a badge
    for element in ("gw_done", "f_not_done"):
        assert page.locator(f'.djs-element.has-problem[data-element-id="{element}"]').count() == 1
        assert page.locator(f'.problem-badge[data-element="{element}"]').count() == 1
    assert page.locator(f'.modeler-tab[data-file="{VERIFICATION}"] .modeler-tab-count').inner_text() == "1"
    assert page.locator(f'.modeler-tab[data-file="{RECTIFICATION}"] .modeler-tab-count').inner_text() == "2"
    shot(page, "modeler_problems", full_page=False)

    # a problem in the list opens its diagram and selects its element
    page.click('#modeler-problem-list .problem-item[data-element="verify"] button')
    page.wait_for_selector(f'.modeler[data-file="{VERIFICATION}"] .djs-element.selected[data-element-id="verify"]')
    assert page.locator('.djs-element.has-problem[data-element-id="verify"]').count() == 1
    assert "missing.schema.json" in page.locator(".modeler-panel .mp-problems").inner_text()

    # deploy: the draft is saved with its problems, and the dialog refuses
    page.click("#modeler-deploy")
    page.wait_for_selector("#modeler-deploy-dialog[open]")
    assert page.locator("#modeler-deploy-blocked").is_visible()
    assert page.locator("#modeler-deploy-confirm").is_disabled()
    # the server refuses too, whatever the page does
    browser_log.allow(r"422.*/deploy\.json")
    status = page.evaluate("""async (url) => {
        const token = document.querySelector('meta[name=csrf-token]').content;
        const r = await fetch(url, {method: 'POST', credentials: 'same-origin',
            headers: {'Content-Type': 'application/json', 'X-CSRFToken': token},
            body: JSON.stringify({change_note: 'broken'})});
        return r.status;
    }""", f"/models/{KEY}/deploy.json")
    assert status == 422
    with app.app_context():
        assert _latest(KEY) == lifecycle
        db.session.remove()


def test_timer_and_flow_properties_are_shown_with_a_sample_due_date(page, login, lifecycle):
    _open(page, login, file=RECTIFICATION)
    _select(page, "rectify_reminder_timer")
    panel = page.locator(".modeler-panel")
    assert panel.locator("select[name=timerKind]").input_value() == "timeCycle"
    assert panel.locator("input[name=timerExpression]").input_value() == '"R/P2D"'
    page.fill(".modeler-panel .mp-preview input[type=datetime-local]", "2026-03-02T09:00")
    page.wait_for_selector('.modeler-panel .mp-preview-due:text-is("2026-03-04 09:00")')

    _select(page, "rectify_deadline_timer")
    assert panel.locator("input[name=timerExpression]").input_value() == "rectify_deadline"
    page.fill(".modeler-panel .mp-preview input[type=datetime-local]", "2026-03-02T09:00")
    page.wait_for_selector(".modeler-panel .mp-preview-vars input")  # asks for a sample rectify_deadline
    page.fill(".modeler-panel .mp-preview-vars input", "2026-03-31T17:00")
    page.wait_for_selector('.modeler-panel .mp-preview-due:text-is("2026-03-31 17:00")')

    _select(page, "f_done")
    assert "rectification" in panel.locator("textarea[name=condition]").input_value()
    shot(page, "modeler_timer", full_page=False)


def test_admin_looks_read_only(page, login, lifecycle):
    _open(page, login, user="admin")
    assert page.locator("#modeler-save").count() == 0 and page.locator("#modeler-deploy").count() == 0
    assert page.locator(".djs-palette").count() == 0  # the viewer: no palette, no editing
    page.click('.modeler-canvas .djs-element[data-element-id="verify"]', position=_inside(page, "verify"))
    page.wait_for_selector('.mp-id:text-is("verify")')
    assert page.locator(".modeler-panel input[name=dueRule]").is_disabled()
    page.click("#modeler-validate")
    page.wait_for_selector(".modeler-status.is-ok")


def test_the_modeler_fits_a_desk_screen(page, login, lifecycle):
    _open(page, login)
    assert page.evaluate("document.documentElement.scrollWidth - window.innerWidth") <= 0
    canvas = page.locator(".modeler-canvas").bounding_box()
    panel = page.locator(".modeler-panel").bounding_box()
    assert canvas["width"] > 800 and panel["x"] >= canvas["x"] + canvas["width"]
    assert canvas["y"] + canvas["height"] <= 768  # the drawing fits the first screen
    assert abs((panel["y"] + panel["height"]) - (canvas["y"] + canvas["height"])) <= 2  # as tall as the canvas

    # bpmn-js's own editing tools work under the CSP: label editing in place, the replace menu
    page.dblclick('.modeler-canvas .djs-element[data-element-id="verify"]')
    page.wait_for_selector(".djs-direct-editing-parent", state="visible")
    page.keyboard.press("Escape")
    _select(page, "verify")
    page.click('.djs-context-pad .entry[data-action="replace"]')
    page.wait_for_selector(".djs-popup", state="visible")
    page.keyboard.press("Escape")


DMN_CELL = '.modeler-dmn td[data-element-id="rule_city_agency_in_2"]'


# dmn-js adds the bpmn.io logo (its licence forbids changing that code) with two style="" attributes;
# the CSP allows exactly those two by hash (app/web/security_headers.py), so the page logs no violation


def _expect_refused_logo_styles(page, browser_log) -> None:
    # no element lost its style attribute to the CSP (the logo's two are allowed by hash)
    refused = page.evaluate("""() => Array.from(document.querySelectorAll('[style]'))
        .filter((e) => e.getAttribute('style').trim() && !e.style.cssText)
        .map((e) => e.outerHTML.slice(0, 120))""")
    assert refused == []


def _type_in_cell(page, selector: str, text: str) -> None:
    """Type over a dmn-js cell (a contenteditable): click it, select its text, type."""
    editable = page.locator(f"{selector} [contenteditable]")
    editable.click()
    page.keyboard.press("Control+A")
    page.keyboard.type(text)


def test_owner_edits_a_decision_table_cell_in_dmn_js_validates_and_saves_it(app, page, login, lifecycle, browser_log):
    _open(page, login)
    page.click('.modeler-tab[data-file="routing_decision.dmn"]')
    page.wait_for_selector(".modeler-dmn .tjs-table")
    assert page.locator(".modeler-dmn .bjs-powered-by").is_visible()
    assert page.locator(".modeler-dmn .tjs-table tbody tr").count() >= 4
    assert page.locator(DMN_CELL).inner_text().strip() == '"city"'
    assert not page.locator("#modeler-dirty").is_visible()  # opening a decision table is no edit
    assert page.evaluate("document.fonts.check('12px dmn')")  # dmn-js's icon font loaded from 'self'
    shot(page, "modeler_dmn", full_page=False)

    # a decision-table cell is Python: a broken one is named by validation and marked in the table
    _type_in_cell(page, DMN_CELL, '? in ("city"')
    page.wait_for_selector("#modeler-dirty", state="visible")
    page.click("#modeler-validate")
    page.wait_for_selector('#modeler-problem-list .problem-item[data-element="rule_city_agency_in_2"]')
    page.wait_for_selector(f"{DMN_CELL}.has-problem")
    assert page.locator(".modeler-dmn td.has-problem").count() == 1

    # fixed and saved: the draft holds the new cell, the other files stay as they were
    _type_in_cell(page, DMN_CELL, '? in ("city", "province")')
    page.click("#modeler-save")
    page.wait_for_selector(".modeler-status.is-ok")
    assert page.locator(".modeler-dmn td.has-problem").count() == 0
    assert not page.locator("#modeler-dirty").is_visible()
    with app.app_context():
        draft = db.session.get(ModelDraft, KEY)
        text = draft.files["routing_decision.dmn"]
        assert '<text>? in ("city", "province")</text>' in text.replace("&#34;", '"').replace("&quot;", '"')
        assert 'id="rule_city_agency_in_2"' in text and 'hitPolicy="FIRST"' in text
        assert draft.files["sanction_decision.dmn"] == (ROOT / "bpmn" / "sanction_decision.dmn").read_text()
        db.session.remove()
    _expect_refused_logo_styles(page, browser_log)


def test_an_administrator_reads_a_decision_table_without_editing_it(page, login, lifecycle, browser_log):
    _open(page, login, user="admin")
    page.click('.modeler-tab[data-file="routing_decision.dmn"]')
    page.wait_for_selector(".modeler-dmn .tjs-table")
    assert page.locator(DMN_CELL).inner_text().strip() == '"city"'
    assert page.locator(f"{DMN_CELL} [contenteditable=true]").count() == 0
    _expect_refused_logo_styles(page, browser_log)


def test_the_modeler_does_not_scroll_sideways_on_a_phone(phone_page, login, lifecycle):
    _open(phone_page, login)
    assert phone_page.evaluate("document.documentElement.scrollWidth - window.innerWidth") <= 0
    _select(phone_page, "verify")
    assert phone_page.locator(".modeler-panel input[name=dueRule]").is_visible()
    shot(phone_page, "modeler_phone")


def test_moving_a_task_to_another_lane_changes_its_role(page, login, lifecycle):
    _open(page, login, file=RECTIFICATION)
    _select(page, "choose_remedy")
    assert "handler" in page.locator(".modeler-panel .mp-role").inner_text()
    task = page.locator('.modeler-canvas .djs-element[data-element-id="choose_remedy"]').bounding_box()
    lane = page.locator('.modeler-canvas .djs-element[data-element-id="lane_complaint_rectification_supervisor"]'
                        ).bounding_box()
    start = (task["x"] + 6, task["y"] + 6)
    target_y = lane["y"] + lane["height"] / 2 - task["height"] / 2 + 6
    page.mouse.move(*start)
    page.mouse.down()
    for step in range(1, 11):
        page.mouse.move(start[0], start[1] + (target_y - start[1]) * step / 10)
    page.mouse.up()
    page.wait_for_selector('.modeler-panel .mp-role-code:text-is("supervisor")')
    saved = page.evaluate("""async () => {
        const app = document.querySelector('.modeler').modelerApp;
        await app.syncCurrent();
        return app.files['complaint_rectification.bpmn'];
    }""")
    supervisor_lane = saved.split('name="supervisor"', 1)[1].split("</bpmn:lane>", 1)[0]
    assert "<bpmn:flowNodeRef>choose_remedy</bpmn:flowNodeRef>" in supervisor_lane


def test_discarding_the_draft_brings_back_the_deployed_model(app, page, login, lifecycle):
    _open(page, login)
    _select(page, "verify")
    _set(page, ".mp-section input.mp-input >> nth=0", "临时名称")
    page.click("#modeler-save")
    page.wait_for_selector(".modeler-status.is-ok")
    assert "草稿" in page.locator("#modeler-origin").inner_text()
    page.click("#modeler-discard")
    page.wait_for_selector("#modeler-discard-dialog[open]")
    shot(page, "modeler_discard", full_page=False)
    page.click("#modeler-discard-confirm")
    page.wait_for_selector('.modeler-canvas .djs-element[data-element-id="verify"] text:has-text("核实投诉")')
    assert page.locator('.modeler-canvas text:has-text("临时名称")').count() == 0
    assert not page.locator("#modeler-dirty").is_visible()
    with app.app_context():
        assert db.session.get(ModelDraft, KEY) is None
        db.session.remove()
