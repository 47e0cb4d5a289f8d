"""The case list and the case page: search, filters and keyset paging; parties, every task with who
did it and when, timers with their rules, the audit trail with its verification, documents with a
staff download, internal notes; another org's case is 404; statements per page do not grow with
the number of tasks, events, files or notes shown."""
from __future__ import annotations

import re

import pytest
from sqlalchemy import select, update

from app import clock
from app.db import db, unit_of_work
from app.models import AuditEvent, Case, User
from app.services.accounts import actor_for
from app.services.attachments import prepare_upload, store_attachments
from app.services.case_notes import add_note
from app.web import case_views
from tests.drive import travel
from tests.lifecycle_paths import CHOOSE_RECTIFICATION, RECEIVE_ACCEPT, TRIAGE_ACCEPT, VERIFY_UNDISPUTED
from tests.web.staff_pages import advance, count_statements, file_complaint, form_token, ready_task, text

PDF = b"%PDF-1.4\n1 0 obj << /Type /Catalog >> endobj\ntrailer << /Root 1 0 R >>\n%%EOF\n"
LISTED = re.compile(r'class="mono" href="/cases/(BB-\d{4}-\d{6})"')


@pytest.fixture(autouse=True)
def traveller():
    with travel() as t:
        yield t


def _to_rectification(app, client, auth, case_no):
    advance(app, client, auth, case_no, "triage", TRIAGE_ACCEPT["data"])
    advance(app, client, auth, case_no, "receive_referral", RECEIVE_ACCEPT["data"])
    advance(app, client, auth, case_no, "verify", VERIFY_UNDISPUTED["data"])
    advance(app, client, auth, case_no, "choose_remedy", CHOOSE_RECTIFICATION["data"])


def _attach(app, case_no: str, filename: str, username: str = "intake_12345") -> int:
    with app.app_context():
        settings = app.extensions["lvyue.settings"]
        with unit_of_work(db.session):
            case = db.session.execute(select(Case).where(Case.case_no == case_no)).scalar_one()
            user = db.session.execute(select(User).where(User.username == username)).scalar_one()
            upload = prepare_upload("", filename, PDF, max_bytes=settings.max_upload_bytes)
            [row] = store_attachments(db.session, settings.attachments_path, clock.now(), actor_for(user), case.id,
                                      [upload])
            attachment_id = row.id
        db.session.remove()
    return attachment_id


def _note(app, case_no: str, body: str, username: str = "intake_12345") -> None:
    with app.app_context():
        with unit_of_work(db.session):
            case = db.session.execute(select(Case).where(Case.case_no == case_no)).scalar_one()
            user = db.session.execute(select(User).where(User.username == username)).scalar_one()
            add_note(db.session, clock.now(), actor_for(user), case, body)
        db.session.remove()


# -- the list --------------------------------------------------------------------------------------

def test_the_list_shows_the_users_cases_newest_first_and_searches(client, auth, staff_client):
    a = file_complaint(client, auth, 0, title="农业产业园配套道路建设合同")
    b = file_complaint(client, auth, 1)
    officer = staff_client("intake_12345")
    assert LISTED.findall(text(officer.get("/cases"))) == [b, a]
    assert LISTED.findall(text(officer.get("/cases?q=恒达建材"))) == [b]
    assert LISTED.findall(text(officer.get(f"/cases?q={a}"))) == [a]
    assert LISTED.findall(text(officer.get("/cases?status=closed"))) == []
    assert LISTED.findall(text(officer.get("/cases?status=open&stage=intake"))) == [b, a]
    assert LISTED.findall(text(staff_client("handler_whgov").get("/cases"))) == []


def test_the_list_pages_by_keyset(client, auth, staff_client, monkeypatch):
    monkeypatch.setattr(case_views, "PAGE_SIZE", 2)
    filed = [file_complaint(client, auth, n) for n in range(3)]
    officer = staff_client("intake_12345")
    first = text(officer.get("/cases"))
    assert LISTED.findall(first) == filed[::-1][:2]
    next_url = re.search(r'href="([^"]+)" rel="next"', first).group(1).replace("&amp;", "&")
    second = text(officer.get(next_url))
    assert LISTED.findall(second) == filed[:1] and 'rel="next"' not in second


# -- the case page ---------------------------------------------------------------------------------

def test_another_orgs_case_page_is_404(client, auth, staff_client):
    case_no = file_complaint(client, auth)
    assert staff_client("intake_12345").get(f"/cases/{case_no}").status_code == 200
    assert staff_client("supervisor_hy").get(f"/cases/{case_no}").status_code == 200
    outsider = staff_client("handler_whgov")
    assert outsider.get(f"/cases/{case_no}").status_code == 404
    assert outsider.get("/cases/BB-2026-999999").status_code == 404


def test_the_case_page_shows_parties_every_task_timers_and_a_verified_trail(app, client, auth, staff_client):
    case_no = file_complaint(client, auth)
    _to_rectification(app, client, auth, case_no)
    page = text(staff_client("handler_hygov").get(f"/cases/{case_no}"))
    # parties, contract and amounts (phone masked)
    for shown in ("怀远县禾丰农业科技有限公司", "91340321MA2N8K3P3N", "138****5678", "怀远县住房和城乡建设局",
                  "HYZJ-2023-100", "860,000.00 元", "125,000.00 元", "怀远县人民政府"):
        assert shown in page, shown
    assert "13812345678" not in page
    # every completed task, who did it and when, and the submitted data read-only
    history = page[page.index('id="history"'):]
    for name in ("受理审查", "签收转办", "核实投诉", "确定处置方式"):
        assert name in history
    assert "intake_12345" in history and "handler_hygov" in history and "2026-03-02" in history
    assert "情况属实且无分歧" in history and "限期整改" in history and "被投诉单位承认欠款事实" in history
    # the ready task and the timers with their rules
    assert "报告整改情况" in page[page.index('id="open-tasks"'):page.index('id="timers"')]
    timers = page[page.index('id="timers"'):page.index('id="history"')]
    assert "整改期限届满" in timers and "到期日定时" in timers and "至整改期限" in timers
    assert "整改催办（每2日）" in timers and "循环提醒" in timers and "等待中" in timers
    # the audit trail and its verification
    trail = page[page.index('id="audit"'):]
    assert "校验通过" in trail and "登记投诉" in trail and "办理「核实投诉」" in trail
    assert 'class="bpmn-diagram"' in page


def test_a_tampered_audit_entry_is_named_by_the_verification(app, client, auth, staff_client):
    case_no = file_complaint(client, auth)
    advance(app, client, auth, case_no, "triage", TRIAGE_ACCEPT["data"])
    with app.app_context():
        case_id = db.session.execute(select(Case.id).where(Case.case_no == case_no)).scalar_one()
        db.session.execute(update(AuditEvent).where(AuditEvent.chain == f"case:{case_id}", AuditEvent.seq == 2)
                           .values(actor_label="someone-else"))
        db.session.commit()
        db.session.remove()
    page = text(staff_client("intake_12345").get(f"/cases/{case_no}"))
    assert "审计链校验失败" in page and "第 2 条" in page and "校验通过" not in page


def test_documents_download_as_attachments_for_staff_who_may_see_the_case(app, client, auth, staff_client):
    case_no = file_complaint(client, auth)
    attachment_id = _attach(app, case_no, "合同 扫描件.pdf")
    officer = staff_client("intake_12345")
    page = text(officer.get(f"/cases/{case_no}"))
    assert f'href="/attachments/{attachment_id}"' in page and "合同 扫描件.pdf" in page
    resp = officer.get(f"/attachments/{attachment_id}")
    assert resp.status_code == 200 and resp.data == PDF
    assert resp.headers["Content-Type"] == "application/pdf"
    disposition = resp.headers["Content-Disposition"]
    assert disposition.startswith("attachment;") and "filename*=UTF-8''" in disposition
    assert resp.headers["X-Content-Type-Options"] == "nosniff"
    assert staff_client("handler_whgov").get(f"/attachments/{attachment_id}").status_code == 404
    assert officer.get("/attachments/999999").status_code == 404


def test_a_safe_download_name_drops_paths_and_header_breaking_characters():
    assert case_views.download_name('../../etc/pa"ss;wd\r\n.pdf') == "pa_ss_wd_.pdf"
    assert case_views.download_name("C:\\材料\\合同.pdf") == "合同.pdf"
    assert case_views.download_name("...") == "attachment"


def test_notes_are_listed_and_added_on_the_case_page(app, client, auth, staff_client):
    case_no = file_complaint(client, auth)
    officer = staff_client("intake_12345")
    page = text(officer.get(f"/cases/{case_no}"))
    empty = officer.post(f"/cases/{case_no}/notes", data={"csrf_token": form_token(page), "body": ""})
    assert empty.status_code == 422 and "请填写备注内容" in text(empty)
    resp = officer.post(f"/cases/{case_no}/notes", data={"csrf_token": form_token(page), "body": "投诉人来电询问进度。"})
    assert resp.status_code == 302 and resp.headers["Location"].endswith(f"/cases/{case_no}#notes")
    page = text(officer.get(f"/cases/{case_no}"))
    notes = page[page.index('id="notes"'):page.index('id="documents"')]
    assert "投诉人来电询问进度。" in notes and "刘洋" in notes  # the author's display name
    outsider = staff_client("handler_whgov")
    token = form_token(text(outsider.get("/cases")))
    assert outsider.post(f"/cases/{case_no}/notes", data={"csrf_token": token, "body": "x"}).status_code == 404


def _statements(app, client, path: str) -> int:
    client.get(path)  # warm the per-process caches (directory, calendar, definition)
    with count_statements(app) as counter:
        assert client.get(path).status_code == 200
    return counter[0]


def test_statements_per_case_page_do_not_grow_with_tasks_events_files_and_notes(app, client, auth, staff_client):
    small = file_complaint(client, auth, 0)
    large = file_complaint(client, auth, 1)
    _to_rectification(app, client, auth, large)
    for n in range(3):
        _attach(app, large, f"材料{n}.pdf")
        _note(app, large, f"备注{n}")
    viewer = staff_client("supervisor_hy")
    assert _statements(app, viewer, f"/cases/{small}") == _statements(app, viewer, f"/cases/{large}")
    task_small = ready_task(app, small, "triage")
    task_large = ready_task(app, large, "report_rectification")
    assert (_statements(app, viewer, f"/tasks/{task_small.id}")
            == _statements(app, viewer, f"/tasks/{task_large.id}"))


def test_statements_per_inbox_page_do_not_grow_with_rows(app, client, auth, staff_client):
    officer = staff_client("intake_12345")
    file_complaint(client, auth, 0)
    one = _statements(app, officer, "/inbox")
    for n in range(1, 4):
        file_complaint(client, auth, n)
    assert _statements(app, officer, "/inbox") == one
    assert _statements(app, officer, "/cases") == _statements(app, officer, "/cases?q=BB")
