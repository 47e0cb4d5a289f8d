"""The public pages (no account): file a complaint with attachments, the receipt, follow a case
with its code, the complainant's tasks, withdrawal, public files, English."""
from __future__ import annotations

import pytest

import io
import re

from sqlalchemy import func, select

from app import clock
from app.db import db, unit_of_work
from app.models import Attachment, Case, ReadyTask, User
from app.policy import Actor
from app.services import intake, tasks as task_service
from app.services.accounts import actor_for
from app.services.attachments import blob_path, prepare_upload, store_attachments
from app.services.engine_context import EngineContext
from app.services.rate_limits import LIMIT
from tests.drive import ready, staff_actor_for, travel
from tests.lifecycle_paths import (CHOOSE_RECTIFICATION, RECEIVE_ACCEPT, REPORT_DONE, SAMPLE_COMPLAINT, TRIAGE_ACCEPT,
                                   VERIFY_UNDISPUTED)
from tests.web.conftest import csrf_from

PDF = b"%PDF-1.4\n1 0 obj << /Type /Catalog >> endobj\ntrailer << /Root 1 0 R >>\n%%EOF\n"
EXE = b"MZ\x90\x00\x03\x00\x00\x00" + b"\x00" * 120
_CODE = re.compile(r'id="query-code">([A-Z0-9]+)<')


def _page_fields(data: dict) -> dict:
    """The complaint as the page's inputs name it (facts/demands under 'statement.')."""
    c, r, k = data["complainant"], data["respondent"], data["contract"]
    fields = {f"complainant.{key}": value for key, value in c.items()}
    fields.update({f"respondent.{key}": value for key, value in r.items()})
    fields.update({f"contract.{key}": value for key, value in k.items()})
    fields.update({"statement.facts": data["facts"], "statement.demands": data["demands"],
                   "declarations.truthful": "true", "declarations.consent_contact": "true"})
    return fields


def _post_complaint(client, fields: dict, files=None, **extra):
    token = csrf_from(client.get("/complaints/new").data)
    body = {**fields, "csrf_token": token, **extra}
    if files:
        body["evidence.attachments"] = files
    return client.post("/complaints/new", data=body, content_type="multipart/form-data")


def _file(client, **changes) -> tuple[str, str]:
    """File SAMPLE_COMPLAINT through the page; returns (case number, query code) from the receipt."""
    fields = {**_page_fields(SAMPLE_COMPLAINT), **changes}
    response = _post_complaint(client, fields, files=[(io.BytesIO(PDF), "施工合同.pdf")])
    assert response.status_code == 302, response.get_data(as_text=True)[:3000]
    receipt = client.get(response.headers["Location"]).get_data(as_text=True)
    case_no = re.search(r'id="case-no">([A-Z0-9-]+)<', receipt).group(1)
    return case_no, _CODE.search(receipt).group(1)


def _case(app, case_no: str) -> Case:
    with app.app_context():
        case = db.session.execute(select(Case).where(Case.case_no == case_no)).scalar_one()
        db.session.expunge(case)
        return case


def _count(app, model) -> int:
    with app.app_context():
        return db.session.execute(select(func.count()).select_from(model)).scalar_one()


def _staff_step(app, case_no: str, spec_id: str, data: dict) -> None:
    """One step done by the right staff member through the services (one transaction)."""
    with app.app_context():
        with unit_of_work(db.session):
            case = db.session.execute(select(Case).where(Case.case_no == case_no)).scalar_one()
            task = ready(case.id, spec_id)
            actor = Actor.complainant(case.id) if task.role == "complainant" else staff_actor_for(task)
            task_service.complete_task(EngineContext.load(db.session, clock.now()), actor, task.id, data)
        db.session.remove()


def _ready_specs(app, case_no: str) -> list[str]:
    with app.app_context():
        case_id = db.session.execute(select(Case.id).where(Case.case_no == case_no)).scalar_one()
        return [t.spec_id for t in db.session.execute(select(ReadyTask).where(ReadyTask.case_id == case_id)).scalars()]


def _task_id(app, case_no: str, spec_id: str) -> str:
    with app.app_context():
        case_id = db.session.execute(select(Case.id).where(Case.case_no == case_no)).scalar_one()
        return ready(case_id, spec_id).id


def _follow(client, case_no: str, code: str):
    token = csrf_from(client.get("/follow").data)
    return client.post("/follow", data={"case_no": case_no, "query_code": code, "csrf_token": token})


# -- home ---------------------------------------------------------------------------------------------------

def test_home_explains_the_scope_and_offers_both_actions_and_staff_login(client):
    page = client.get("/").get_data(as_text=True)
    assert "受理范围" in page and "招商引资" in page and "1 个工作日" in page and "10 个工作日" in page
    assert 'href="/complaints/new"' in page and 'href="/follow"' in page and 'href="/login"' in page


# -- filing ---------------------------------------------------------------------------------------------------

def test_filing_through_the_page_creates_the_case_with_its_pdf_and_shows_the_code_once(app, client):
    case_no, code = _file(client)
    case = _case(app, case_no)
    assert case.channel == "credit_site_column" and case.complainant_uscc == SAMPLE_COMPLAINT["complainant"]["uscc"]
    assert intake.query_code_matches(case, code)
    assert case.submission["attachments"] == ["施工合同.pdf"]
    with app.app_context():
        rows = db.session.execute(select(Attachment).where(Attachment.case_id == case.id)).scalars().all()
        assert [(a.filename, a.public, a.content_type) for a in rows] == [("施工合同.pdf", True, "application/pdf")]
        assert blob_path(app.extensions["lvyue.settings"].attachments_path, rows[0].sha256).read_bytes() == PDF
    again = client.get(f"/complaints/{case_no}/receipt").get_data(as_text=True)
    assert case_no in again and code not in again and "不再显示" in again
    assert "受理回执" in again and "怀远县住房和城乡建设局" in again and "HYZJ-2023-017" in again


def test_the_receipt_is_printable_without_inline_script(client):
    case_no, _code = _file(client)
    response = client.get(f"/complaints/{case_no}/receipt")
    page = response.get_data(as_text=True)
    assert "data-print" in page and "js/public.js" in page and "<script>" not in page
    assert "script-src 'self'" in response.headers["Content-Security-Policy"]


def test_bad_input_comes_back_422_with_every_value_and_field_errors_and_creates_nothing(app, client):
    fields = _page_fields(SAMPLE_COMPLAINT)
    fields.update({"complainant.uscc": "91340321MA2N8K3P3X", "complainant.contact_phone": "12345",
                   "statement.facts": "太短了", "contract.amount_claimed": "12.345"})
    del fields["declarations.truthful"]
    response = _post_complaint(client, fields)
    page = response.get_data(as_text=True)
    assert response.status_code == 422
    for name in ("complainant.uscc", "complainant.contact_phone", "statement.facts", "contract.amount_claimed",
                 "declarations.truthful"):
        assert f'id="e-{name}"' in page, name
    assert 'value="91340321MA2N8K3P3X"' in page and 'value="12345"' in page and "太短了</textarea>" in page
    assert 'value="怀远县禾丰农业科技有限公司"' in page and 'value="HYZJ-2023-017"' in page
    assert '<option value="HY-HOUSING" data-search' in page and 'value="HY-HOUSING" data-search="怀远县住房和城乡建设局' in page
    assert re.search(r'<option value="HY-HOUSING"[^>]*selected', page)
    assert "error-summary" in page
    assert _count(app, Case) == 0 and _count(app, Attachment) == 0


def test_an_executable_renamed_pdf_is_refused_at_the_file_field(app, client):
    response = _post_complaint(client, _page_fields(SAMPLE_COMPLAINT), files=[(io.BytesIO(EXE), "付款凭证.pdf")])
    page = response.get_data(as_text=True)
    assert response.status_code == 422
    assert 'id="e-evidence.attachments"' in page and "可执行程序" in page and "付款凭证.pdf" in page
    assert _count(app, Case) == 0 and _count(app, Attachment) == 0


def test_an_accepted_file_survives_the_error_page_and_is_saved_on_the_next_submit(app, client):
    fields = _page_fields(SAMPLE_COMPLAINT)
    fields["complainant.contact_phone"] = "12345"
    first = _post_complaint(client, fields, files=[(io.BytesIO(PDF), "验收报告.pdf")])
    page = first.get_data(as_text=True)
    assert first.status_code == 422 and "验收报告.pdf" in page
    token = re.search(r'name="_kept:evidence.attachments" value="([^"]+)"', page).group(1)
    fields["complainant.contact_phone"] = "13812345678"
    second = client.post("/complaints/new", data={**fields, "csrf_token": csrf_from(page),
                                                  "_kept:evidence.attachments": token},
                         content_type="multipart/form-data")
    assert second.status_code == 302
    with app.app_context():
        assert [a.filename for a in db.session.execute(select(Attachment)).scalars()] == ["验收报告.pdf"]


def test_a_kept_file_token_does_not_work_in_another_browser(app, client):
    fields = _page_fields(SAMPLE_COMPLAINT)
    fields["complainant.contact_phone"] = "12345"
    page = _post_complaint(client, fields, files=[(io.BytesIO(PDF), "验收报告.pdf")]).get_data(as_text=True)
    token = re.search(r'name="_kept:evidence.attachments" value="([^"]+)"', page).group(1)
    other = app.test_client()
    fields["complainant.contact_phone"] = "13812345678"
    response = other.post("/complaints/new", data={**fields, "csrf_token": csrf_from(other.get("/complaints/new").data),
                                                   "_kept:evidence.attachments": token},
                          content_type="multipart/form-data")
    assert response.status_code == 422 and "重新选择" in response.get_data(as_text=True)
    assert _count(app, Case) == 0


def test_a_duplicate_open_complaint_is_named_and_the_form_kept(app, client):
    case_no, _code = _file(client)
    fields = _page_fields(SAMPLE_COMPLAINT)
    response = _post_complaint(client, fields)
    page = response.get_data(as_text=True)
    assert response.status_code == 409
    assert case_no in page and "请勿重复投诉" in page and 'value="怀远县禾丰农业科技有限公司"' in page
    assert _count(app, Case) == 1


def test_the_receipt_of_a_case_this_browser_did_not_open_asks_for_the_code(app, client):
    case_no, _code = _file(client)
    stranger = app.test_client()
    response = stranger.get(f"/complaints/{case_no}/receipt")
    assert response.status_code == 302 and "/follow?case_no=" in response.headers["Location"]
    assert stranger.get(f"/follow/{case_no}").status_code == 302


# -- following ---------------------------------------------------------------------------------------------

def test_a_wrong_code_and_an_unknown_case_answer_alike_and_the_limit_gives_429_shared_with_the_api(app, client):
    case_no, code = _file(client)
    stranger = app.test_client()
    wrong = _follow(stranger, case_no, "WRONGCODE1")
    unknown = _follow(stranger, "BB-2099-999999", code)
    assert wrong.status_code == unknown.status_code == 404
    message = "案件编号或查询码不正确"
    assert message in wrong.get_data(as_text=True) and message in unknown.get_data(as_text=True)
    assert f'value="{case_no}"' in wrong.get_data(as_text=True)
    for _ in range(LIMIT - 2):
        _follow(stranger, case_no, "WRONGCODE1")
    blocked = _follow(stranger, case_no, code)  # even the right code waits once the budget is spent
    assert blocked.status_code == 429 and "15 分钟" in blocked.get_data(as_text=True)
    api = stranger.get(f"/api/v1/public/cases/{case_no}?query_code={code}")
    assert api.status_code == 429


def test_the_right_code_opens_the_case_with_its_timeline_and_no_code_is_asked_again(app, client):
    case_no, code = _file(client)
    _staff_step(app, case_no, "triage", TRIAGE_ACCEPT["data"])
    visitor = app.test_client()
    response = _follow(visitor, case_no.lower(), code.lower())
    assert response.status_code == 302 and response.headers["Location"].endswith(f"/follow/{case_no}")
    page = visitor.get(f"/follow/{case_no}").get_data(as_text=True)
    assert "投诉已提交，受理单位已收到" in page and "受理审查：已完成" in page
    assert "怀远县人民政府" in page  # referred to whom (the handling unit)
    assert 'class="current" aria-current="step">转办' in page
    assert "施工合同.pdf" in page


def test_the_complainant_supplies_material_with_a_file_through_the_page(app, client):
    case_no, _code = _file(client)
    _staff_step(app, case_no, "triage", {"intake_decision": "supplement_required",
                                         "supplement_request": "请补充竣工验收报告。"})
    task_id = _task_id(app, case_no, "supply_material")
    page = client.get(f"/follow/{case_no}").get_data(as_text=True)
    assert "请补充竣工验收报告。" in page and f'/follow/{case_no}/tasks/{task_id}' in page
    assert 'name="supplement_text"' in page and 'name="supplement_files"' in page
    response = client.post(f"/follow/{case_no}/tasks/{task_id}", content_type="multipart/form-data", data={
        "csrf_token": csrf_from(page), "_form": "supply_material.schema.json", "_ui": "supply_material.ui.json",
        "supplement_text": "已补充竣工验收报告。", "supplement_files": [(io.BytesIO(PDF + b"%2\n"), "竣工验收报告.pdf")]})
    assert response.status_code == 302, response.get_data(as_text=True)[:3000]
    assert _ready_specs(app, case_no) == ["triage"]
    with app.app_context():
        row = db.session.execute(select(Attachment).where(Attachment.task_id == task_id)).scalar_one()
        assert row.filename == "竣工验收报告.pdf" and row.public and row.field == "supplement_files"
    after = client.get(f"/follow/{case_no}").get_data(as_text=True)
    assert "已提交" in after and "竣工验收报告.pdf" in after


def test_a_task_form_with_errors_comes_back_422_with_the_text_kept(app, client):
    case_no, _code = _file(client)
    _staff_step(app, case_no, "triage", {"intake_decision": "supplement_required", "supplement_request": "请补充。"})
    task_id = _task_id(app, case_no, "supply_material")
    page = client.get(f"/follow/{case_no}").get_data(as_text=True)
    response = client.post(f"/follow/{case_no}/tasks/{task_id}", content_type="multipart/form-data", data={
        "csrf_token": csrf_from(page), "supplement_text": "",
        "supplement_files": [(io.BytesIO(PDF), "a.pdf"), (io.BytesIO(EXE), "b.pdf")]})
    body = response.get_data(as_text=True)
    assert response.status_code == 422
    assert 'id="e-supplement_text"' in body and 'id="e-supplement_files"' in body and "a.pdf" in body
    assert _ready_specs(app, case_no) == ["supply_material"]


@pytest.fixture
def covered_weekday():
    """A 20-working-day rectification started in late December would reach the unloaded next year:
    these tests run on a fixed weekday of a covered year (time ticks on)."""
    with travel():
        yield


def _drive_to_confirmation(app, case_no: str) -> None:
    for step in (TRIAGE_ACCEPT, RECEIVE_ACCEPT, VERIFY_UNDISPUTED, CHOOSE_RECTIFICATION, REPORT_DONE):
        _staff_step(app, case_no, step["task"], step["data"])


def test_the_complainant_confirms_rectification_then_answers_the_visit_dissatisfied_and_the_case_reopens(
        app, client, covered_weekday):
    case_no, _code = _file(client)
    _drive_to_confirmation(app, case_no)
    task_id = _task_id(app, case_no, "confirm_rectification")
    page = client.get(f"/follow/{case_no}").get_data(as_text=True)
    assert "确认整改结果" in page and "已于2025年3月20日支付工程尾款" in page  # the report to confirm
    assert "情况属实且无分歧" in page and "整改截止时间" in page
    done = client.post(f"/follow/{case_no}/tasks/{task_id}", data={
        "csrf_token": csrf_from(page), "rectification_confirmed": "true", "confirmation_comment": "款项已收到。"})
    assert done.status_code == 302
    visit_id = _task_id(app, case_no, "follow_up_visit")
    page = client.get(f"/follow/{case_no}").get_data(as_text=True)
    assert 'value="dissatisfied"' in page and 'value="basically_satisfied"' in page
    refused = client.post(f"/follow/{case_no}/tasks/{visit_id}", data={
        "csrf_token": csrf_from(page), "follow_up_satisfaction": "dissatisfied"})
    assert refused.status_code == 422 and 'id="e-follow_up_comment"' in refused.get_data(as_text=True)
    reopened = client.post(f"/follow/{case_no}/tasks/{visit_id}", data={
        "csrf_token": csrf_from(page), "follow_up_satisfaction": "dissatisfied",
        "follow_up_comment": "实际只收到部分款项。"})
    assert reopened.status_code == 302
    assert _ready_specs(app, case_no) == ["verify"]


def test_a_stale_submit_is_409_and_shows_what_was_entered(app, client, covered_weekday):
    case_no, _code = _file(client)
    _drive_to_confirmation(app, case_no)
    task_id = _task_id(app, case_no, "confirm_rectification")
    page = client.get(f"/follow/{case_no}").get_data(as_text=True)
    _staff_step(app, case_no, "confirm_rectification", {"rectification_confirmed": True})  # e.g. another tab
    response = client.post(f"/follow/{case_no}/tasks/{task_id}", data={
        "csrf_token": csrf_from(page), "_form": "confirm_rectification.schema.json",
        "_ui": "confirm_rectification.ui.json", "rectification_confirmed": "false",
        "confirmation_comment": "只收到10万元，尚欠25000元。"})
    body = response.get_data(as_text=True)
    assert response.status_code == 409
    assert "已不能办理" in body and "只收到10万元，尚欠25000元。" in body and "未整改到位" in body


def test_another_case_task_cannot_be_completed_from_this_case(app, client):
    case_no, _code = _file(client)
    _staff_step(app, case_no, "triage", {"intake_decision": "supplement_required", "supplement_request": "请补充。"})
    other = app.test_client()
    other_no, _ = _file(other, **{"contract.contract_no": "OTHER-1"})
    _staff_step(app, other_no, "triage", {"intake_decision": "supplement_required", "supplement_request": "请补充。"})
    foreign = _task_id(app, other_no, "supply_material")
    page = client.get(f"/follow/{case_no}").get_data(as_text=True)
    response = client.post(f"/follow/{case_no}/tasks/{foreign}", data={
        "csrf_token": csrf_from(page), "_form": "supply_material.schema.json", "supplement_text": "x"})
    assert response.status_code == 404
    assert "supply_material" in _ready_specs(app, other_no)


# -- withdrawal ------------------------------------------------------------------------------------------------

def test_withdrawal_asks_for_confirmation_and_a_reason(app, client):
    case_no, _code = _file(client)
    case_page = client.get(f"/follow/{case_no}").get_data(as_text=True)
    assert f"/follow/{case_no}/withdraw" in case_page
    confirm = client.get(f"/follow/{case_no}/withdraw").get_data(as_text=True)
    assert "确认撤回" in confirm and _case(app, case_no).status == "open"
    empty = client.post(f"/follow/{case_no}/withdraw", data={"csrf_token": csrf_from(confirm), "reason": " "})
    assert empty.status_code == 422 and "请填写撤回理由" in empty.get_data(as_text=True)
    done = client.post(f"/follow/{case_no}/withdraw", data={"csrf_token": csrf_from(confirm),
                                                             "reason": "对方已付款，问题已解决。"})
    assert done.status_code == 302
    case = _case(app, case_no)
    assert (case.status, case.outcome) == ("closed", "withdrawn")
    page = client.get(f"/follow/{case_no}").get_data(as_text=True)
    assert "投诉人撤回投诉" in page and "投诉人已撤回投诉" in page and f"/follow/{case_no}/withdraw" not in page
    assert '<li class="skipped">核实</li>' in page and '<li class="done">办结</li>' in page
    again = client.post(f"/follow/{case_no}/withdraw", data={"csrf_token": csrf_from(confirm), "reason": "再撤一次"})
    assert again.status_code == 409


# -- files -------------------------------------------------------------------------------------------------

def test_the_complainant_downloads_public_files_but_not_internal_ones(app, client, demo):
    case_no, _code = _file(client)
    case = _case(app, case_no)
    with app.app_context():
        with unit_of_work(db.session):
            user = db.session.execute(select(User).where(User.username == "intake_city")).scalar_one()
            upload = prepare_upload("files", "内部意见.pdf", PDF + b"%internal\n", max_bytes=100_000)
            store_attachments(db.session, app.extensions["lvyue.settings"].attachments_path, clock.now(),
                              actor_for(user), case.id, [upload], public=False)
        ids = dict(db.session.execute(select(Attachment.filename, Attachment.id)).all())
    page = client.get(f"/follow/{case_no}").get_data(as_text=True)
    assert "施工合同.pdf" in page and "内部意见.pdf" not in page
    public = client.get(f"/follow/{case_no}/files/{ids['施工合同.pdf']}")
    assert public.status_code == 200 and public.data == PDF and "attachment" in public.headers["Content-Disposition"]
    assert client.get(f"/follow/{case_no}/files/{ids['内部意见.pdf']}").status_code == 404
    assert app.test_client().get(f"/follow/{case_no}/files/{ids['施工合同.pdf']}").status_code == 404


# -- language ---------------------------------------------------------------------------------------------------

def test_the_public_pages_switch_to_english(app, client):
    case_no, _code = _file(client)
    client.get("/lang/en?next=/")
    home = client.get("/").get_data(as_text=True)
    assert "File a complaint" in home and "Follow my case" in home and "受理范围" not in home
    form = client.get("/complaints/new").get_data(as_text=True)
    assert "Supporting documents" in form and "Facts and demands" in form
    case_page = client.get(f"/follow/{case_no}").get_data(as_text=True)
    assert "Complaint submitted" in case_page and "投诉已提交" not in case_page
