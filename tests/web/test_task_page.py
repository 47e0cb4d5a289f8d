"""The task page: the form from the task's JSON Schema, completion in one transaction (triage →
receive_referral → verify through the pages, each by the right demo user), 422 keeping every value,
stale and claimed-elsewhere submits (409, what was typed still shown), the return of a misrouted
referral, extension requests, notes, read-only views and another org's 404."""
from __future__ import annotations

import copy
import io
import re

import pytest
from sqlalchemy import func, select

from app.db import db
from app.models import Attachment, AuditEvent, Case, ExtensionRequest, ProcessInstance, TaskLog
from app.services import definitions
from tests.drive import travel
from tests.lifecycle_paths import RECEIVE_ACCEPT, TRIAGE_ACCEPT, VERIFY_UNDISPUTED
from tests.web.staff_pages import advance, colleague, file_complaint, form_token, ready_task, sign_in_as, text


@pytest.fixture(autouse=True)
def traveller():
    with travel() as t:
        yield t


def _case(app, case_no: str) -> Case:
    with app.app_context():
        case = db.session.execute(select(Case).where(Case.case_no == case_no)).scalar_one()
        db.session.expunge(case)
        db.session.remove()
    return case


def _open(client, task_id: str) -> tuple[str, str]:
    resp = client.get(f"/tasks/{task_id}")
    assert resp.status_code == 200, resp.status_code
    page = text(resp)
    return page, form_token(page)


def _counts(app) -> tuple[int, int]:
    with app.app_context():
        counts = (db.session.execute(select(func.count(AuditEvent.id))).scalar_one(),
                  db.session.execute(select(func.count(TaskLog.id))).scalar_one())
        db.session.remove()
    return counts


def test_the_page_shows_case_summary_instructions_deadline_and_the_schema_form(app, client, auth, staff_client):
    case_no = file_complaint(client, auth)
    task = ready_task(app, case_no, "triage")
    page, _token = _open(staff_client("intake_12345"), task.id)
    assert "怀远县禾丰农业科技有限公司" in page and "怀远县住房和城乡建设局" in page
    assert "125,000.00 元" in page and "138****5678" in page and "13812345678" not in page
    assert "请审查投诉" in page  # the task's instructions
    assert "2026-03-03 23:59" in page and "剩 1 个工作日" in page
    for value in ("accept", "not_accepted", "supplement_required", "merged"):
        assert f'name="intake_decision" value="{value}"' in page
    assert 'name="triage_note"' in page and "提交办理" in page
    assert 'class="bpmn-diagram"' in page  # the diagram panel
    assert "办理轨迹" in page and "登记投诉" in page and "校验通过" in page


def test_triage_referral_and_verification_are_completed_through_the_pages(app, client, auth, staff_client):
    case_no = file_complaint(client, auth)
    officer, handler = staff_client("intake_12345"), staff_client("handler_hygov")

    triage = ready_task(app, case_no, "triage")
    _page, token = _open(officer, triage.id)
    resp = officer.post(f"/tasks/{triage.id}", data={"csrf_token": token, "intake_decision": "accept",
                                                     "triage_note": "材料齐全，属于受理范围。"})
    assert resp.status_code == 302 and resp.headers["Location"].endswith("/inbox")
    assert "已提交「受理审查」" in text(officer.get("/inbox"))

    referral = ready_task(app, case_no, "receive_referral")
    _page, token = _open(handler, referral.id)
    resp = handler.post(f"/tasks/{referral.id}", data={"csrf_token": token, "referral_decision": "accept"})
    verify = ready_task(app, case_no, "verify")
    assert resp.status_code == 302 and resp.headers["Location"].endswith(f"/tasks/{verify.id}")  # straight on

    page, token = _open(handler, verify.id)
    assert "已提交「签收转办」" in page
    form = {"csrf_token": token, **VERIFY_UNDISPUTED["data"]}
    assert handler.post(f"/tasks/{verify.id}", data=form).status_code == 302
    case = _case(app, case_no)
    assert case.stage == "rectification"
    with app.app_context():
        logged = db.session.execute(select(TaskLog).where(TaskLog.case_id == case.id).order_by(TaskLog.id)).scalars().all()
        assert [(t.spec_id, t.completed_by_label) for t in logged] == [
            ("triage", "intake_12345"), ("receive_referral", "handler_hygov"), ("verify", "handler_hygov")]
        assert logged[2].data["verified_amount"] == "125000.00"
        db.session.remove()


def test_field_errors_come_back_422_with_every_typed_value_kept(app, client, auth, staff_client):
    case_no = file_complaint(client, auth)
    advance(app, client, auth, case_no, "triage", TRIAGE_ACCEPT["data"])
    advance(app, client, auth, case_no, "receive_referral", RECEIVE_ACCEPT["data"])
    task = ready_task(app, case_no, "verify")
    handler = staff_client("handler_hygov")
    _page, token = _open(handler, task.id)
    before = _counts(app)
    resp = handler.post(f"/tasks/{task.id}", data={
        "csrf_token": token, "verification_findings": "太短", "verified_amount": "12.345",
        "contact_record": "2026-03-03 电话联系投诉人李红"})
    assert resp.status_code == 422
    page = text(resp)
    assert "提交的内容有误" in page
    assert 'aria-invalid="true"' in page
    for kept in ("太短", 'value="12.345"', "2026-03-03 电话联系投诉人李红"):
        assert kept in page
    assert re.search(r'id="e-verification_result"', page) and re.search(r'id="e-verified_amount"', page)
    assert _counts(app) == before  # nothing written


def test_a_stale_submit_is_409_and_shows_what_was_typed(app, client, auth, staff_client):
    case_no = file_complaint(client, auth)
    task = ready_task(app, case_no, "triage")
    officer = staff_client("intake_12345")
    _page, token = _open(officer, task.id)
    advance(app, client, auth, case_no, "triage", TRIAGE_ACCEPT["data"])  # finished elsewhere meanwhile
    before = _counts(app)
    resp = officer.post(f"/tasks/{task.id}", data={"csrf_token": token, "intake_decision": "not_accepted",
                                                   "not_accepted_reason": "属于企业之间的合同纠纷，不予受理。"})
    assert resp.status_code == 409
    page = text(resp)
    assert "提交未成功" in page and "已由intake_12345于" in page and "办理完毕" in page
    assert "属于企业之间的合同纠纷，不予受理。" in page and "不予受理" in page
    assert f"/cases/{case_no}" in page
    assert _counts(app) == before
    # opening the finished task later says who did it, instead of a form
    page = text(officer.get(f"/tasks/{task.id}"))
    assert "已由intake_12345于" in page and 'name="intake_decision"' not in page


def test_a_task_claimed_by_a_colleague_is_read_only_and_a_submit_is_refused_with_the_data_kept(
        app, client, auth, staff_client):
    case_no = file_complaint(client, auth)
    advance(app, client, auth, case_no, "triage", TRIAGE_ACCEPT["data"])
    task = ready_task(app, case_no, "receive_referral")
    handler = staff_client("handler_hygov")
    _page, token = _open(handler, task.id)  # opened before the colleague claims it
    other = sign_in_as(app, *colleague(app))
    _other_page, other_token = _open(other, task.id)
    assert other.post(f"/tasks/{task.id}/claim", data={"csrf_token": other_token}).status_code == 302

    page = text(handler.get(f"/tasks/{task.id}"))
    assert "该任务已由王晓东认领" in page and "提交办理" not in page
    assert re.search(r'name="referral_decision" value="accept"[^>]*disabled', page)
    resp = handler.post(f"/tasks/{task.id}", data={"csrf_token": token, "referral_decision": "return",
                                                  "return_reason": "被投诉单位不属于本县管辖。"})
    assert resp.status_code == 409
    page = text(resp)
    assert "只有认领人可以办理提交" in page and "被投诉单位不属于本县管辖。" in page
    assert ready_task(app, case_no, "receive_referral").id == task.id  # still open


def test_a_supervisor_sees_the_task_read_only(app, client, auth, staff_client):
    case_no = file_complaint(client, auth)
    advance(app, client, auth, case_no, "triage", TRIAGE_ACCEPT["data"])
    task = ready_task(app, case_no, "receive_referral")
    page = text(staff_client("supervisor_hy").get(f"/tasks/{task.id}"))
    assert "您可以查看此任务，但它不由您办理" in page and "提交办理" not in page
    assert "退回受理单位" not in page and "提交延期申请" not in page


def test_another_orgs_task_is_404_for_page_and_submit(app, client, auth, staff_client):
    case_no = file_complaint(client, auth)
    task = ready_task(app, case_no, "triage")
    outsider = staff_client("handler_whgov")
    assert outsider.get(f"/tasks/{task.id}").status_code == 404
    token = form_token(text(outsider.get("/inbox")))
    assert outsider.post(f"/tasks/{task.id}", data={"csrf_token": token, "intake_decision": "accept"}).status_code == 404
    assert outsider.post(f"/tasks/{task.id}/claim", data={"csrf_token": token}).status_code == 404
    assert outsider.get("/tasks/no-such-task").status_code == 404


def test_a_misrouted_referral_is_returned_with_a_reason_as_a_secondary_action(app, client, auth, staff_client):
    case_no = file_complaint(client, auth)
    advance(app, client, auth, case_no, "triage", TRIAGE_ACCEPT["data"])
    task = ready_task(app, case_no, "receive_referral")
    handler = staff_client("handler_hygov")
    page, token = _open(handler, task.id)
    assert "退回误转案件" in page and 'value="return_referral"' in page
    empty = handler.post(f"/tasks/{task.id}", data={"csrf_token": token, "_action": "return_referral",
                                                   "referral_decision": "return", "return_reason": ""})
    assert empty.status_code == 422
    assert 'id="return-reason-error"' in text(empty) and "<details open" in text(empty)
    resp = handler.post(f"/tasks/{task.id}", data={"csrf_token": token, "_action": "return_referral",
                                                  "referral_decision": "return",
                                                  "return_reason": "被投诉单位为市直部门，应由市政府办理。"})
    assert resp.status_code == 302
    assert ready_task(app, case_no, "reroute_referral").role == "intake_officer"


def test_an_extension_is_requested_beside_the_form_and_shown_as_pending(app, client, auth, staff_client):
    case_no = file_complaint(client, auth)
    advance(app, client, auth, case_no, "triage", TRIAGE_ACCEPT["data"])
    task = ready_task(app, case_no, "receive_referral")
    handler = staff_client("handler_hygov")
    page, token = _open(handler, task.id)
    assert "提交延期申请" in page
    bad = handler.post(f"/tasks/{task.id}/extension", data={"csrf_token": token, "workdays": "30",
                                                           "reason": "需要调取档案"})
    assert bad.status_code == 422 and "需要调取档案" in text(bad) and 'value="30"' in text(bad)
    resp = handler.post(f"/tasks/{task.id}/extension", data={"csrf_token": token, "workdays": "3",
                                                            "reason": "需要调取2023年的合同档案。"})
    assert resp.status_code == 302
    page = text(handler.get(f"/tasks/{task.id}"))
    assert "等待信用办审批" in page and f'action="/tasks/{task.id}/extension"' not in page
    with app.app_context():
        request_row = db.session.execute(select(ExtensionRequest)).scalar_one()
        assert (request_row.workdays, request_row.status) == (3, "pending")
        db.session.remove()


def test_notes_are_added_on_the_task_page_and_an_empty_note_keeps_the_page(app, client, auth, staff_client):
    case_no = file_complaint(client, auth)
    task = ready_task(app, case_no, "triage")
    officer = staff_client("intake_12345")
    _page, token = _open(officer, task.id)
    empty = officer.post(f"/tasks/{task.id}/notes", data={"csrf_token": token, "body": "   "})
    assert empty.status_code == 422 and "请填写备注内容" in text(empty)
    resp = officer.post(f"/tasks/{task.id}/notes", data={"csrf_token": token, "body": "已电话联系投诉人核对合同编号。"})
    assert resp.status_code == 302
    page = text(officer.get(f"/tasks/{task.id}"))
    assert "已电话联系投诉人核对合同编号。" in page and "添加内部备注" in page


def test_the_english_switch_translates_the_page_chrome(app, client, auth, staff_client):
    case_no = file_complaint(client, auth)
    task = ready_task(app, case_no, "triage")
    page = text(staff_client("intake_12345").get(f"/tasks/{task.id}?lang=en"))
    assert "Submit" in page and "Internal notes" in page and "1 working day(s) left" in page


PDF = b"%PDF-1.4\n1 0 obj << /Type /Catalog >> endobj\ntrailer << /Root 1 0 R >>\n%%EOF\n"


@pytest.fixture
def referral_with_files(app, monkeypatch):
    """The deployed receive_referral form with an extra file field (the cached definition snapshot
    is what both the page and the service read; monkeypatch puts the shipped form back)."""
    def install(task):
        with app.app_context():
            definition_id = db.session.execute(select(ProcessInstance.definition_id)
                                               .where(ProcessInstance.id == task.instance_id)).scalar_one()
            snapshot = definitions.definition(db.session, definition_id)
            db.session.remove()
        schema = copy.deepcopy(snapshot.forms["receive_referral.schema.json"])
        schema["properties"]["referral_files"] = {"type": "array", "title": "签收材料", "items": {"type": "string"}}
        ui = copy.deepcopy(snapshot.forms["receive_referral.ui.json"])
        ui["referral_files"] = {"ui:widget": "file"}
        monkeypatch.setitem(snapshot.forms, "receive_referral.schema.json", schema)
        monkeypatch.setitem(snapshot.forms, "receive_referral.ui.json", ui)
    return install


def test_files_chosen_in_a_task_form_become_attachments_of_the_task(app, client, auth, staff_client,
                                                                    referral_with_files):
    case_no = file_complaint(client, auth)
    advance(app, client, auth, case_no, "triage", TRIAGE_ACCEPT["data"])
    task = ready_task(app, case_no, "receive_referral")
    referral_with_files(task)
    handler = staff_client("handler_hygov")
    page, token = _open(handler, task.id)
    assert 'enctype="multipart/form-data"' in page and 'type="file"' in page
    # an error elsewhere keeps the accepted file (a signed token, ticked) so it need not be chosen again
    resp = handler.post(f"/tasks/{task.id}", content_type="multipart/form-data",
                        data={"csrf_token": token, "referral_files": (io.BytesIO(PDF), "签收单.pdf")})
    assert resp.status_code == 422
    kept = re.search(r'name="(_kept:referral_files)" value="([^"]+)" checked', text(resp))
    assert kept and "签收单.pdf" in text(resp)
    with app.app_context():
        assert db.session.execute(select(func.count(Attachment.id))).scalar_one() == 0  # nothing stored yet
        db.session.remove()
    resp = handler.post(f"/tasks/{task.id}", data={"csrf_token": token, "referral_decision": "accept",
                                                  kept.group(1): kept.group(2)})
    assert resp.status_code == 302
    with app.app_context():
        [attachment] = db.session.execute(select(Attachment)).scalars().all()
        assert (attachment.task_id, attachment.filename, attachment.public) == (task.id, "签收单.pdf", False)
        logged = db.session.execute(select(TaskLog).where(TaskLog.task_id == task.id)).scalar_one()
        assert logged.data == {"referral_decision": "accept", "referral_files": ["签收单.pdf"]}
        db.session.remove()
    page = text(handler.get(f"/cases/{case_no}"))
    assert f'href="/attachments/{attachment.id}"' in page
