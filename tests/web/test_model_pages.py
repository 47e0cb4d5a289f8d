"""The process owners' models page and the dry run: every process with its versions (who, when,
sha256, change note, running cases on each) and its draft; files uploaded into a draft are saved
or refused as a whole with the file and element named (hostile XML included, never a 500, never a
half-saved draft); administrators look without changing; other roles get a 404; a dry run walks
the lifecycle with the sample complaint and stores nothing; an endless script fails the run with
its element named."""
from __future__ import annotations

import html
import io
import json
import re
from pathlib import Path

import pytest
from sqlalchemy import func, select

from app import clock
from app.config import ROOT
from app.db import db, unit_of_work
from app.models import AuditEvent, Case, ModelDraft, ProcessDefinition, ProcessInstance, User
from app.services import model_admin, model_drafts
from app.services.accounts import actor_for
from app.services.engine_context import EngineContext
from tests.hostile_xml import BOMB, XXE
from tests.lifecycle_paths import RECEIVE_ACCEPT, TRIAGE_ACCEPT, VERIFY_UNSUBSTANTIATED
from tests.web.conftest import csrf_from
from tests.web.staff_pages import file_complaint, text

APPROVAL3 = Path(__file__).resolve().parents[1] / "fixtures" / "approval3"
PAGES_KEY = "Process_model_pages"        # deployed twice by these tests (its own key: nothing else uses it)
LOOP_KEY = "Process_model_pages_loop"    # only ever a draft
LIFECYCLE = "breach_complaint"


def approval_files(key: str, script: bytes = b"threshold = 50") -> dict[str, bytes]:
    files = {p.name: p.read_bytes() for p in sorted(APPROVAL3.iterdir()) if p.is_file()}
    files["approval3.bpmn"] = (files["approval3.bpmn"].replace(b'"Process_approval3"', f'"{key}"'.encode())
                               .replace(b"threshold = 50", script))
    return files


def _owner(app):
    user = db.session.execute(select(User).where(User.username == "owner")).scalar_one()
    return actor_for(user)


@pytest.fixture
def two_versions(app, demo):
    """PAGES_KEY deployed as v1 and v2 by the demo process owner (once per session: definitions are
    kept between tests)."""
    with app.app_context():
        def rows():
            return db.session.execute(select(ProcessDefinition).where(ProcessDefinition.key == PAGES_KEY)
                                      .order_by(ProcessDefinition.version)).scalars().all()

        if not rows():
            first = approval_files(PAGES_KEY)
            second = dict(first)
            second["approval3.bpmn"] = second["approval3.bpmn"].replace(b'name="Amount"', b'name="Amount checked"')
            with unit_of_work(db.session):
                ctx = EngineContext.load(db.session, clock.now())
                model_admin.deploy_upload(ctx, _owner(app), first, "首次上线：三步审批")
                model_admin.deploy_upload(ctx, _owner(app), second, "金额任务改名")
        versions = [(r.version, r.sha256) for r in rows()]
        db.session.remove()
    assert [v for v, _sha in versions] == [1, 2]
    return versions


def _draft(app, key: str = LIFECYCLE) -> ModelDraft | None:
    with app.app_context():
        draft = db.session.get(ModelDraft, key)
        if draft is not None:
            db.session.expunge(draft)
        db.session.remove()
    return draft


def _section(page: str, key: str) -> str:
    start = page.index(f'id="process-{key}"')
    end = page.find('<section class="card process-card"', start)
    return page[start: end if end != -1 else len(page)]


def _upload(client, files: dict[str, bytes], key: str = LIFECYCLE):
    token = csrf_from(text(client.get("/models")))
    return client.post(f"/models/{key}/upload", content_type="multipart/form-data",
                       data={"csrf_token": token, "files": [(io.BytesIO(b), n) for n, b in files.items()]})


def _shipped(name: str) -> bytes:
    folder = ROOT / ("forms" if name.endswith(".json") else "bpmn")
    return (folder / name).read_bytes()


# -- the list --------------------------------------------------------------------------------------

def test_the_list_shows_each_version_with_who_when_sha_note_and_running_cases(app, client, auth, staff_client,
                                                                                two_versions):
    file_complaint(client, auth)
    page = text(staff_client("owner").get("/models"))
    ours = _section(page, PAGES_KEY)
    rows = re.findall(r'<tr class="version-row" data-version="(\d+)">(.*?)</tr>', ours, re.S)
    assert [v for v, _row in rows] == ["2", "1"]  # newest first
    row2, row1 = rows[0][1], rows[1][1]
    assert "马骏" in row2 and "金额任务改名" in row2 and "首次上线：三步审批" in row1
    sha1 = dict(two_versions)[1]
    assert f'title="{sha1}">{sha1[:12]}</code>' in row1  # short, the full hash on hover
    assert '/models/Process_model_pages/diff?from=1&amp;to=2' in ours
    assert '/models/Process_model_pages/edit' in ours and '/models/Process_model_pages/migrate' in ours
    lifecycle = _section(page, LIFECYCLE)
    [(version, row)] = re.findall(r'<tr class="version-row" data-version="(\d+)">(.*?)</tr>', lifecycle, re.S)
    assert re.search(r'class="num running-cases">1<', row), row
    assert "系统（随程序发布）" in row


def test_the_draft_shows_when_who_and_its_problems(app, staff_client):
    broken = _shipped("complaint_verification.bpmn").replace(b'value="verify.schema.json"', b'value="nope.schema.json"')
    with app.app_context():
        with unit_of_work(db.session):
            ctx = EngineContext.load(db.session, clock.now())
            files = model_drafts.get_draft(db.session, _owner(app), LIFECYCLE)["files"]
            files["complaint_verification.bpmn"] = broken.decode()
            model_drafts.save_draft(ctx, _owner(app), LIFECYCLE, files)
        db.session.remove()
    section = _section(text(staff_client("owner").get("/models")), LIFECYCLE)
    assert "马骏 保存于" in section and "1 个问题" in section
    assert "complaint_verification.bpmn" in section and "verify" in section and "nope.schema.json" in section


# -- uploads ----------------------------------------------------------------------------------------

def test_a_good_upload_is_saved_into_the_draft_over_the_deployed_files(app, staff_client):
    changed = _shipped("triage.schema.json").replace("受理审查".encode(), "受理审查（新）".encode(), 1)
    resp = _upload(staff_client("owner"), {"triage.schema.json": changed})
    assert resp.status_code == 302 and resp.headers["Location"].endswith("#process-breach_complaint")
    draft = _draft(app)
    assert draft.files["triage.schema.json"] == changed.decode()
    assert draft.files["verify.schema.json"] == model_drafts_text(app, "verify.schema.json")
    assert len(draft.files) == 51


def model_drafts_text(app, name: str) -> str:
    """The text a draft starts from for `name`: the latest deployed version's file."""
    with app.app_context():
        row = db.session.execute(select(ProcessDefinition).where(ProcessDefinition.key == LIFECYCLE)
                                 .order_by(ProcessDefinition.version.desc()).limit(1)).scalar_one()
        value = json.dumps(row.files["forms"][name], ensure_ascii=False, indent=2)
        db.session.remove()
    return value


def test_a_model_from_another_modeler_is_kept_with_its_problems_listed(app, staff_client):
    from tests.models_admin.test_hostile_uploads import CAMUNDA

    client = staff_client("owner")
    resp = _upload(client, {"review.bpmn": CAMUNDA})
    assert resp.status_code == 302
    assert "review.bpmn" in _draft(app).files
    page = text(client.get("/models"))
    assert "个问题，部署前需要解决" in page  # the flash
    assert "Activity_review" in _section(page, LIFECYCLE)


HOSTILE = {
    "an entity bomb": ("routing_decision.dmn", BOMB),
    "an external entity": ("complaint_referral.bpmn", XXE),
    "truncated xml": ("complaint_intake.bpmn", _shipped("complaint_intake.bpmn")[:1500]),
    "not xml at all": ("extra.bpmn", b"hello, I am a text file"),
    "binary": ("extra.bpmn", bytes(range(256)) * 4),
    "a form that is not json": ("triage.schema.json", b'{"type": "object", "properties": {'),
    "an unknown file type": ("notes.exe", b"MZ\x90\x00"),
    "an empty file": ("verify.ui.json", b"   "),
}


@pytest.mark.parametrize("name,data", list(HOSTILE.values()), ids=list(HOSTILE))
def test_a_broken_or_hostile_upload_is_refused_naming_the_file_and_nothing_is_saved(app, staff_client, name, data):
    good = _shipped("verify.schema.json").replace("核实".encode(), "核实（新）".encode(), 1)
    resp = _upload(staff_client("owner"), {"verify.schema.json": good, name: data})
    assert resp.status_code == 422
    page = text(resp)
    refused = page[page.index("upload-refused"):]
    assert f'<span class="mono problem-file">{name}</span>' in refused
    assert "草稿没有任何改变" in page
    assert _draft(app) is None  # not even the good file of the same upload


def test_a_refused_upload_leaves_an_existing_draft_as_it_was(app, staff_client):
    client = staff_client("owner")
    assert _upload(client, {"triage.ui.json": b'{"ui:order": ["intake_decision", "*"]}'}).status_code == 302
    before = _draft(app)
    resp = _upload(client, {"triage.ui.json": b'{"ui:order": [', "complaint_referral.bpmn": XXE})
    assert resp.status_code == 422
    after = _draft(app)
    assert after.files == before.files and after.updated_at == before.updated_at


def test_an_xml_bomb_in_place_of_the_main_model_names_the_file(app, staff_client):
    resp = _upload(staff_client("owner"), {"breach_complaint.bpmn": BOMB})
    assert resp.status_code == 422
    assert '<span class="mono problem-file">breach_complaint.bpmn</span>' in text(resp)
    assert _draft(app) is None


# -- who may do what ------------------------------------------------------------------------------

def test_administrators_see_the_models_read_only(app, staff_client, two_versions):
    admin = staff_client("admin")
    page = text(admin.get("/models"))
    assert "只读查看" in page and "v2" in _section(page, PAGES_KEY)
    assert 'name="files"' not in page and "新建表单" not in page
    token = csrf_from(page)
    resp = admin.post(f"/models/{LIFECYCLE}/upload", content_type="multipart/form-data",
                      data={"csrf_token": token, "files": [(io.BytesIO(b"{}"), "x.json")]})
    assert resp.status_code == 403
    assert admin.post(f"/models/{LIFECYCLE}/forms", data={"csrf_token": token, "name": "visit"}).status_code == 403
    assert _draft(app) is None
    assert admin.get(f"/models/{LIFECYCLE}/dry-run").status_code == 200


@pytest.mark.parametrize("username", ["handler_hygov", "intake_12345", "supervisor_city"])
def test_other_roles_get_a_404(staff_client, username):
    client = staff_client(username)
    for url in ("/models", f"/models/{LIFECYCLE}/dry-run", f"/models/{LIFECYCLE}/forms/triage"):
        assert client.get(url).status_code == 404, url
    token = csrf_from(text(client.get("/inbox")))
    assert client.post(f"/models/{LIFECYCLE}/upload", data={"csrf_token": token}).status_code == 404
    assert client.post(f"/models/{LIFECYCLE}/forms/triage/preview",
                       data={"csrf_token": token, "schema": "{}"}).status_code == 404


def test_unknown_processes_are_404(staff_client):
    client = staff_client("owner")
    assert client.get("/models/no_such_process/dry-run").status_code == 404
    assert client.get("/models/no_such_process/forms/triage").status_code == 404


# -- the dry run -----------------------------------------------------------------------------------

def _textarea(page: str, ident: str) -> str:
    match = re.search(rf'<textarea id="{ident}"[^>]*>(.*?)</textarea>', page, re.S)
    assert match, f"no textarea {ident}"
    return html.unescape(match.group(1))


def _run_token(page: str) -> str:
    match = re.search(r'name="run" value="([^"]+)"', page)
    assert match, "no run token on the page"
    return match.group(1)


def _ready(page: str) -> list[str]:
    return re.findall(r'<section class="card task-form-card dry-task"[^>]*data-task="([^"]+)"', page)


def _complete(client, page: str, task: str, data: dict):
    form = {"csrf_token": csrf_from(page), "run": _run_token(page), "action": "complete", "task": task,
            "form": f"{task}.schema.json", **data}
    return client.post(f"/models/{LIFECYCLE}/dry-run", data=form)


def _stored(app) -> tuple[int, int, int]:
    with app.app_context():
        counts = tuple(db.session.execute(select(func.count(m.id))).scalar_one()
                       for m in (Case, ProcessInstance, AuditEvent))
        db.session.remove()
    return counts


def test_a_dry_run_walks_triage_receive_referral_and_verify_with_the_sample_complaint(app, staff_client):
    client = staff_client("owner")
    page = text(client.get(f"/models/{LIFECYCLE}/dry-run"))
    sample = _textarea(page, "sample")
    assert "怀远县禾丰农业科技有限公司" in sample and '"respondent_org": "HY-HOUSING"' in sample
    before = _stored(app)
    resp = client.post(f"/models/{LIFECYCLE}/dry-run", data={"csrf_token": csrf_from(page), "action": "start",
                                                             "sample": sample})
    page = text(resp)
    assert resp.status_code == 200 and _ready(page) == ["triage"]
    assert 'name="intake_decision" value="accept"' in page  # the real form, drawn by the macros
    for step, following in ((TRIAGE_ACCEPT, "receive_referral"), (RECEIVE_ACCEPT, "verify"),
                            (VERIFY_UNSUBSTANTIATED, "explain_to_complainant")):
        resp = _complete(client, page, step["task"], step["data"])
        page = text(resp)
        assert resp.status_code == 200 and _ready(page) == [following], (step["task"], _ready(page))
    path = page[page.index('class="timeline run-path"'):]
    assert [m for m in re.findall(r'data-element="([^"]*)"', path)] == ["", "triage", "receive_referral", "verify"]
    assert "怀远县住房和城乡建设局" in page  # process data: the respondent routed to its department
    assert _stored(app) == before  # nothing of a dry run is stored


def test_a_wrong_form_in_a_dry_run_shows_its_errors_and_stays_on_the_step(app, staff_client):
    client = staff_client("owner")
    page = text(client.get(f"/models/{LIFECYCLE}/dry-run"))
    page = text(client.post(f"/models/{LIFECYCLE}/dry-run", data={"csrf_token": csrf_from(page), "action": "start",
                                                                  "sample": _textarea(page, "sample")}))
    resp = _complete(client, page, "triage", {"triage_note": "缺少决定"})
    assert resp.status_code == 422
    page = text(resp)
    assert _ready(page) == ["triage"] and "error-summary" in page and "审查决定" in page
    assert "缺少决定" in page  # what was typed is kept


def test_a_sample_that_is_not_json_is_refused_with_line_and_column(staff_client):
    client = staff_client("owner")
    page = text(client.get(f"/models/{LIFECYCLE}/dry-run"))
    resp = client.post(f"/models/{LIFECYCLE}/dry-run", data={"csrf_token": csrf_from(page), "action": "start",
                                                             "sample": '{\n  "a": 1,\n  "b" 2\n}'})
    assert resp.status_code == 422 and "第 3 行第 7 列" in text(resp)


def test_a_tampered_run_is_not_trusted(staff_client):
    client = staff_client("owner")
    page = text(client.get(f"/models/{LIFECYCLE}/dry-run"))
    resp = client.post(f"/models/{LIFECYCLE}/dry-run", data={"csrf_token": csrf_from(page), "action": "complete",
                                                             "run": "eyJrZXkiOiJ4In0.forged", "task": "triage"})
    assert resp.status_code == 400 and "重新开始" in text(resp)


def test_an_endless_script_fails_the_dry_run_naming_the_element(app, staff_client):
    files = approval_files(LOOP_KEY, b"while True:\n    pass")
    with app.app_context():
        with unit_of_work(db.session):
            ctx = EngineContext.load(db.session, clock.now())
            model_drafts.save_draft(ctx, _owner(app), LOOP_KEY, {n: b.decode() for n, b in files.items()})
        db.session.remove()
    client = staff_client("owner")
    page = text(client.get(f"/models/{LOOP_KEY}/dry-run"))
    resp = client.post(f"/models/{LOOP_KEY}/dry-run", data={"csrf_token": csrf_from(page), "action": "start",
                                                            "sample": "{}"})
    page = text(resp)
    assert resp.status_code == 200
    failure = page[page.index("run-failed"):]
    assert "试运行在启动时失败" in failure and '<span class="mono failed-element">init</span>' in failure
    assert "time limit" in failure


def test_a_dry_run_lists_the_waiting_timers_with_their_due_times(app, staff_client):
    from tests.engine.conftest import model_bytes

    with app.app_context():
        with unit_of_work(db.session):
            ctx = EngineContext.load(db.session, clock.now())
            model_drafts.save_draft(ctx, _owner(app), "rectification", {"timers.bpmn": model_bytes("timers.bpmn").decode()})
        db.session.remove()
    client = staff_client("owner")
    page = text(client.get("/models/rectification/dry-run"))
    resp = client.post("/models/rectification/dry-run", data={
        "csrf_token": csrf_from(page), "action": "start", "sample": '{"deadline_in": "2030-01-10T17:00:00+08:00"}'})
    timers = text(resp)[text(resp).index('class="plain-list timer-list"'):]
    assert resp.status_code == 200 and "deadline_timer" in timers and "2030-01-10 17:00" in timers  # Beijing time


def test_a_dry_run_fires_a_waiting_timer_from_the_page(app, staff_client):
    from tests.engine.conftest import model_bytes

    with app.app_context():
        with unit_of_work(db.session):
            ctx = EngineContext.load(db.session, clock.now())
            model_drafts.save_draft(ctx, _owner(app), "rectification", {"timers.bpmn": model_bytes("timers.bpmn").decode()})
        db.session.remove()
    client = staff_client("owner")
    page = text(client.get("/models/rectification/dry-run"))
    page = text(client.post("/models/rectification/dry-run", data={
        "csrf_token": csrf_from(page), "action": "start", "sample": '{"deadline_in": "2030-01-10T17:00:00+08:00"}'}))
    assert 'name="action" value="fire_timer"' in page  # the button is offered once the back end supports it
    resp = client.post("/models/rectification/dry-run", data={
        "csrf_token": csrf_from(page), "run": _run_token(page), "action": "fire_timer", "timer": "deadline_timer"})
    assert resp.status_code == 200 and _ready(text(resp)) == ["review"]
