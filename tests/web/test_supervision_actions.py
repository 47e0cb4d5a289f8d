"""Supervision actions in the browser pages: 催办/督办 by hand with a reply deadline and the handler's
reply, extension decisions (the pending list at /desk/extensions, on the task page and on the case
page), reassignment of a misrouted case, and who may do what (handlers get 403 where the policy
refuses and 404 for what they cannot see). Refusals keep what was typed."""
from __future__ import annotations

from dataclasses import dataclass

import pytest
from sqlalchemy import select

from app import clock
from app.db import db
from app.models import Case, Escalation, ExtensionRequest, Notification, Org, ReadyTask, User
from app.services.engine_context import EngineContext
from tests.drive import ServiceDriver, complaint_for, travel
from tests.lifecycle_paths import ACCEPT_AND_REFER, VERIFY_UNSUBSTANTIATED
from tests.web.conftest import csrf_from


@dataclass
class Verifying:
    case_no: str
    task_id: str
    driver: ServiceDriver


@pytest.fixture
def verifying(app, demo):
    """A case waiting for verification by handler_hygov (怀远县人民政府); time stays near its start."""
    with travel() as traveller:
        with app.app_context():
            driver = ServiceDriver(traveller)
            case_no, _code = driver.file(complaint_for({}))
            for step in ACCEPT_AND_REFER:
                driver.complete(case_no, step["task"], step["data"])
            case_id = driver.case(case_no).id
            task_id = db.session.execute(select(ReadyTask.id).where(ReadyTask.case_id == case_id)).scalar_one()
            db.session.remove()
        yield Verifying(case_no, task_id, driver)


def _text(resp) -> str:
    return resp.get_data(as_text=True)


def _post(client, page_url: str, url: str, data: dict):
    token = csrf_from(client.get(page_url).data)
    return client.post(url, data={"csrf_token": token, **data})


def _read(app, fn):
    with app.app_context():
        try:
            return fn()
        finally:
            db.session.remove()


def _task(app, task_id: str) -> ReadyTask | None:
    def read():
        task = db.session.get(ReadyTask, task_id)
        if task is not None:
            db.session.expunge(task)
        return task
    return _read(app, read)


def _orders(app, task_id: str) -> list[Escalation]:
    def read():
        rows = db.session.execute(select(Escalation).where(Escalation.task_id == task_id,
                                                           Escalation.kind.like("manual_%"))).scalars().all()
        for row in rows:
            db.session.expunge(row)
        return rows
    return _read(app, read)


def _kinds_notified(app, username: str) -> list[str]:
    return _read(app, lambda: list(db.session.execute(
        select(Notification.kind).join(User, User.id == Notification.user_id)
        .where(User.username == username).order_by(Notification.id)).scalars()))


def _add_workdays(app, start, n: int):
    return _read(app, lambda: EngineContext.load(db.session, clock.now()).calendar.add_workdays(start, n))


def _send(client, task_id: str, **data):
    form = {"origin": "task", "kind": "supervision_order", "reply_workdays": "3", "note": "请于期限内完成核实并回复。", **data}
    return _post(client, f"/tasks/{task_id}", f"/supervise/tasks/{task_id}/orders", form)


def _request_extension(client, task_id: str, workdays: int = 5):
    resp = _post(client, f"/tasks/{task_id}", f"/tasks/{task_id}/extension",
                 {"workdays": str(workdays), "reason": "需调取三年的付款凭证，档案在外地。"})
    assert resp.status_code == 302, _text(resp)[:400]


def _pending_request_id(app, task_id: str) -> int:
    return _read(app, lambda: db.session.execute(select(ExtensionRequest.id).where(
        ExtensionRequest.task_id == task_id, ExtensionRequest.status == "pending")).scalar_one())


# -- 催办 / 督办 ------------------------------------------------------------------------------------------

def test_a_supervisor_sends_a_supervision_order_and_the_handler_sees_and_replies(app, staff_client, verifying):
    v = verifying
    supervisor, handler = staff_client("supervisor_hy"), staff_client("handler_hygov")
    page = _text(supervisor.get(f"/tasks/{v.task_id}"))
    assert f'action="/supervise/tasks/{v.task_id}/orders"' in page and "通知怀远县人民政府办理此任务" in page

    resp = _send(supervisor, v.task_id)
    assert resp.status_code == 302 and resp.headers["Location"].endswith(f"/tasks/{v.task_id}#supervision-orders")
    [order] = _orders(app, v.task_id)
    assert order.kind == "manual_supervision" and order.note == "请于期限内完成核实并回复。"
    due = clock.local(_add_workdays(app, clock.as_utc(order.at), 3)).strftime("%Y-%m-%d")
    assert clock.local(clock.as_utc(order.reply_due_at)).strftime("%Y-%m-%d") == due
    assert f"已向怀远县人民政府发出督办，请其于 {due} 前回复。" in _text(supervisor.get(f"/tasks/{v.task_id}"))

    inbox = _text(handler.get("/notifications"))
    assert "【督办】" in inbox and v.case_no in inbox
    task_page = _text(handler.get(f"/tasks/{v.task_id}"))
    assert "请于期限内完成核实并回复。" in task_page and f"回复期限 {due}" in task_page
    assert f'action="/supervise/orders/{order.id}/reply"' in task_page and "待回复" in task_page

    resp = _post(handler, f"/tasks/{v.task_id}", f"/supervise/orders/{order.id}/reply",
                 {"origin": "task", "reply": "已调取付款凭证，正在核对。"})
    assert resp.status_code == 302 and resp.headers["Location"].endswith(f"/tasks/{v.task_id}#supervision-orders")
    assert "已回复督办" in _text(handler.get(f"/tasks/{v.task_id}"))
    [order] = _orders(app, v.task_id)
    assert order.reply == "已调取付款凭证，正在核对。" and order.replied_at is not None
    assert _kinds_notified(app, "supervisor_hy")[-1] == "escalation_reply"
    case_page = _text(supervisor.get(f"/cases/{v.case_no}"))
    assert "已调取付款凭证，正在核对。" in case_page and "已回复" in case_page


def test_a_bad_reply_deadline_is_refused_and_the_note_is_kept(app, staff_client, verifying):
    v = verifying
    resp = _send(staff_client("supervisor_hy"), v.task_id, reply_workdays="99", note="请说明迟迟未核实的原因。")
    assert resp.status_code == 422
    page = _text(resp)
    assert "请填写 1 到 30 之间的整数（工作日）。" in page
    assert "请说明迟迟未核实的原因。</textarea>" in page and 'value="99"' in page
    assert 'name="kind" value="supervision_order" checked' in page
    assert _orders(app, v.task_id) == []


def test_a_reply_needs_text_and_is_taken_once(app, staff_client, verifying):
    v = verifying
    _send(staff_client("supervisor_hy"), v.task_id)
    [order] = _orders(app, v.task_id)
    handler = staff_client("handler_hygov")
    empty = _post(handler, f"/cases/{v.case_no}", f"/supervise/orders/{order.id}/reply", {"origin": "case", "reply": " "})
    assert empty.status_code == 422 and "请填写回复内容。" in _text(empty)

    first = _post(handler, f"/cases/{v.case_no}", f"/supervise/orders/{order.id}/reply",
                  {"origin": "case", "reply": "第一次回复"})
    assert first.status_code == 302 and first.headers["Location"].endswith(f"/cases/{v.case_no}#supervision-orders")
    second = _post(handler, f"/cases/{v.case_no}", f"/supervise/orders/{order.id}/reply",
                   {"origin": "case", "reply": "同事也写了一份回复"})
    assert second.status_code == 409
    page = _text(second)
    assert "该督办已于" in page and "您的回复未保存" in page and "同事也写了一份回复</textarea>" in page
    assert _orders(app, v.task_id)[0].reply == "第一次回复"


def test_an_order_on_a_task_finished_meanwhile_says_so_and_keeps_the_note(app, staff_client, verifying):
    v = verifying
    supervisor = staff_client("supervisor_hy")
    token = csrf_from(supervisor.get(f"/tasks/{v.task_id}").data)
    with app.app_context():
        v.driver.complete(v.case_no, "verify", VERIFY_UNSUBSTANTIATED["data"])
        db.session.remove()
    resp = supervisor.post(f"/supervise/tasks/{v.task_id}/orders",
                           data={"csrf_token": token, "origin": "task", "kind": "reminder", "reply_workdays": "2",
                                 "note": "请加快进度。"})
    assert resp.status_code == 409
    page = _text(resp)
    assert "该任务已办结或已取消，催办/督办未发出。" in page and "请加快进度。" in page
    assert f'href="/cases/{v.case_no}"' in page and _orders(app, v.task_id) == []


def test_handlers_cannot_send_orders_and_see_no_form(app, staff_client, verifying):
    v = verifying
    handler = staff_client("handler_hygov")
    assert "/supervise/tasks/" not in _text(handler.get(f"/tasks/{v.task_id}"))
    assert _send(handler, v.task_id).status_code == 403
    other = staff_client("handler_whgov")
    token = csrf_from(other.get("/inbox").data)
    resp = other.post(f"/supervise/tasks/{v.task_id}/orders",
                      data={"csrf_token": token, "kind": "reminder", "reply_workdays": "3"})
    assert resp.status_code == 404
    assert _orders(app, v.task_id) == []


def test_only_the_org_addressed_replies(app, staff_client, verifying):
    v = verifying
    _send(staff_client("supervisor_hy"), v.task_id)
    [order] = _orders(app, v.task_id)
    officer = staff_client("intake_12345")  # the accepting unit sees the case but was not addressed
    page = _text(officer.get(f"/cases/{v.case_no}"))
    assert "请于期限内完成核实并回复。" in page and f"/supervise/orders/{order.id}/reply" not in page
    resp = _post(officer, f"/cases/{v.case_no}", f"/supervise/orders/{order.id}/reply", {"reply": "不是我们单位"})
    assert resp.status_code == 403 and "只有被催办、督办的单位可以回复。" in _text(resp)
    other = staff_client("handler_whgov")
    token = csrf_from(other.get("/inbox").data)
    assert other.post(f"/supervise/orders/{order.id}/reply",
                      data={"csrf_token": token, "reply": "x"}).status_code == 404
    assert _orders(app, v.task_id)[0].replied_at is None


# -- extensions ---------------------------------------------------------------------------------------------

def test_approving_an_extension_moves_the_due_date(app, staff_client, verifying):
    v = verifying
    _request_extension(staff_client("handler_hygov"), v.task_id, workdays=5)
    before = clock.as_utc(_task(app, v.task_id).due_at)
    request_id = _pending_request_id(app, v.task_id)
    supervisor = staff_client("supervisor_hy")
    desk = _text(supervisor.get("/desk/extensions"))
    assert v.case_no in desk and "需调取三年的付款凭证" in desk and "待审批 1 件" in desk
    expected = _add_workdays(app, before, 5)
    assert expected.astimezone(clock.SHANGHAI).strftime("%Y-%m-%d %H:%M") in desk  # the due date if approved

    resp = _post(supervisor, "/desk/extensions", f"/supervise/extensions/{request_id}/decision",
                 {"origin": "desk", "decision": "approve", "note": ""})
    assert resp.status_code == 302 and resp.headers["Location"].endswith("/desk/extensions")
    assert clock.as_utc(_task(app, v.task_id).due_at) == expected
    page = _text(supervisor.get("/desk/extensions"))
    assert "已批准延期 5 个工作日" in page and "没有待审批的延期申请" in page and "最近审批" in page
    assert "extension_approved" in _kinds_notified(app, "handler_hygov")


def test_refusing_needs_a_reason_and_keeps_the_due_date(app, staff_client, verifying):
    v = verifying
    _request_extension(staff_client("handler_hygov"), v.task_id)
    before = _task(app, v.task_id).due_at
    request_id = _pending_request_id(app, v.task_id)
    supervisor = staff_client("supervisor_hy")
    resp = _post(supervisor, "/desk/extensions", f"/supervise/extensions/{request_id}/decision",
                 {"origin": "desk", "decision": "refuse", "note": ""})
    assert resp.status_code == 422 and "不批准时请说明理由" in _text(resp)
    resp = _post(supervisor, f"/tasks/{v.task_id}", f"/supervise/extensions/{request_id}/decision",
                 {"origin": "task", "decision": "refuse", "note": "材料可在本地调取，按原时限办理。"})
    assert resp.status_code == 302 and resp.headers["Location"].endswith(f"/tasks/{v.task_id}")
    assert _task(app, v.task_id).due_at == before
    status, note = _read(app, lambda: db.session.execute(select(ExtensionRequest.status, ExtensionRequest.decision_note)
                                                         .where(ExtensionRequest.id == request_id)).one())
    assert (status, note) == ("refused", "材料可在本地调取，按原时限办理。")
    assert "extension_refused" in _kinds_notified(app, "handler_hygov")


def test_a_request_decided_meanwhile_is_a_conflict_with_the_note_kept(app, staff_client, verifying):
    v = verifying
    _request_extension(staff_client("handler_hygov"), v.task_id)
    request_id = _pending_request_id(app, v.task_id)
    supervisor = staff_client("supervisor_hy")
    case_page = _text(supervisor.get(f"/cases/{v.case_no}"))
    assert f'action="/supervise/extensions/{request_id}/decision"' in case_page
    token = csrf_from(case_page)
    assert supervisor.post(f"/supervise/extensions/{request_id}/decision",
                           data={"csrf_token": token, "origin": "case", "decision": "approve"}).status_code == 302
    again = supervisor.post(f"/supervise/extensions/{request_id}/decision",
                            data={"csrf_token": token, "origin": "case", "decision": "refuse", "note": "再想想"})
    assert again.status_code == 409
    assert "该延期申请已由他人处理（已批准），本次操作未保存。" in _text(again) and "再想想" in _text(again)


def test_handlers_cannot_decide_extensions_or_open_the_list(app, staff_client, verifying):
    v = verifying
    handler = staff_client("handler_hygov")
    _request_extension(handler, v.task_id)
    request_id = _pending_request_id(app, v.task_id)
    assert handler.get("/desk/extensions").status_code == 404
    assert "/supervise/extensions/" not in _text(handler.get(f"/tasks/{v.task_id}"))
    resp = _post(handler, f"/tasks/{v.task_id}", f"/supervise/extensions/{request_id}/decision",
                 {"origin": "task", "decision": "approve"})
    assert resp.status_code == 403
    other = staff_client("handler_whgov")
    token = csrf_from(other.get("/inbox").data)
    assert other.post(f"/supervise/extensions/{request_id}/decision",
                      data={"csrf_token": token, "decision": "approve"}).status_code == 404
    assert _pending_request_id(app, v.task_id) == request_id


# -- reassignment ------------------------------------------------------------------------------------------

def test_reassignment_moves_the_case_and_the_new_org_sees_it_in_its_inbox(app, staff_client, verifying):
    v = verifying
    supervisor = staff_client("supervisor_city")
    page = _text(supervisor.get(f"/cases/{v.case_no}"))
    assert f'action="/supervise/cases/{v.case_no}/reassign"' in page
    assert '<option value="BB-HOUSING"' in page and '<option value="HY-GOV"  disabled>' in page
    resp = _post(supervisor, f"/cases/{v.case_no}", f"/supervise/cases/{v.case_no}/reassign",
                 {"origin": "case", "org": "BB-HOUSING", "reason": "项目由市住建局直接管理，属误派。"})
    assert resp.status_code == 302 and resp.headers["Location"].endswith(f"/cases/{v.case_no}")
    assert "案件已改派至蚌埠市住房和城乡建设局" in _text(supervisor.get(f"/cases/{v.case_no}"))
    housing = _read(app, lambda: db.session.execute(select(Org.id).where(Org.code == "BB-HOUSING")).scalar_one())
    assert _read(app, lambda: db.session.execute(select(Case.handling_org_id).where(Case.case_no == v.case_no))
                 .scalar_one()) == housing
    assert v.case_no in _text(staff_client("handler_bbhousing").get("/inbox"))
    assert staff_client("handler_hygov").get(f"/tasks/{v.task_id}").status_code == 404
    assert "case_reassigned" in _kinds_notified(app, "handler_bbhousing")


def test_an_org_outside_the_region_or_no_reason_is_refused_with_what_was_typed(app, staff_client, verifying):
    v = verifying
    supervisor = staff_client("supervisor_hy")
    page = _text(supervisor.get(f"/cases/{v.case_no}"))
    assert '<option value="BB-HOUSING"' not in page and '<option value="HY-HOUSING"' in page
    resp = _post(supervisor, f"/cases/{v.case_no}", f"/supervise/cases/{v.case_no}/reassign",
                 {"origin": "case", "org": "BB-HOUSING", "reason": "应由市住建局承办。"})
    assert resp.status_code == 422
    assert "请选择本地区内的单位。" in _text(resp) and "应由市住建局承办。</textarea>" in _text(resp)
    resp = _post(supervisor, f"/cases/{v.case_no}", f"/supervise/cases/{v.case_no}/reassign",
                 {"origin": "case", "org": "HY-HOUSING", "reason": ""})
    assert resp.status_code == 422 and "请说明改派理由。" in _text(resp)
    assert '<option value="HY-HOUSING" selected' in _text(resp)
    resp = _post(supervisor, f"/cases/{v.case_no}", f"/supervise/cases/{v.case_no}/reassign",
                 {"origin": "case", "org": "HY-GOV", "reason": "重新确认"})
    assert resp.status_code == 409 and "案件已由该单位承办，请选择其他单位。" in _text(resp)
    assert _task(app, v.task_id).org_id == _read(app, lambda: db.session.execute(
        select(Org.id).where(Org.code == "HY-GOV")).scalar_one())


def test_a_case_closed_meanwhile_cannot_be_reassigned_and_the_reason_is_shown_again(app, staff_client, verifying):
    v = verifying
    supervisor = staff_client("supervisor_hy")
    token = csrf_from(supervisor.get(f"/cases/{v.case_no}").data)
    with app.app_context():
        v.driver.withdraw(v.case_no, "已与被投诉单位协商解决。")
        db.session.remove()
    resp = supervisor.post(f"/supervise/cases/{v.case_no}/reassign",
                           data={"csrf_token": token, "origin": "case", "org": "HY-HOUSING", "reason": "属误派"})
    assert resp.status_code == 409
    page = _text(resp)
    assert "案件已办结，不能再改派。" in page and "属误派" in page and f'href="/cases/{v.case_no}"' in page
    assert "/reassign" not in _text(supervisor.get(f"/cases/{v.case_no}"))


def test_admins_see_the_pending_extensions_but_do_not_decide(app, staff_client, verifying):
    v = verifying
    _request_extension(staff_client("handler_hygov"), v.task_id)
    page = _text(staff_client("admin").get("/desk/extensions"))
    assert v.case_no in page and "延期申请由信用办督办人员审批，您可以查看。" in page
    assert "/supervise/extensions/" not in page


def test_handlers_cannot_reassign(app, staff_client, verifying):
    v = verifying
    handler = staff_client("handler_hygov")
    assert "/reassign" not in _text(handler.get(f"/cases/{v.case_no}"))
    resp = _post(handler, f"/cases/{v.case_no}", f"/supervise/cases/{v.case_no}/reassign",
                 {"org": "HY-HOUSING", "reason": "我们想转走"})
    assert resp.status_code == 403 and "我们想转走" in _text(resp)
    other = staff_client("handler_whgov")
    token = csrf_from(other.get("/inbox").data)
    assert other.post(f"/supervise/cases/{v.case_no}/reassign",
                      data={"csrf_token": token, "org": "HY-HOUSING", "reason": "x"}).status_code == 404


def test_the_english_pages_show_the_actions_in_english(app, staff_client, verifying):
    v = verifying
    supervisor = staff_client("supervisor_city")
    supervisor.get("/lang/en?next=/inbox")
    task_page = _text(supervisor.get(f"/tasks/{v.task_id}"))
    assert "Reminder / supervision order" in task_page
    case_page = _text(supervisor.get(f"/cases/{v.case_no}"))
    assert "Reassign the handling organisation" in case_page
    assert "Extension decisions" in _text(supervisor.get("/desk/extensions"))
