"""The migration pages on the Flask client: a second version of the lifecycle whose rectification
phase changed (confirm_rectification's dueRule) is deployed while cases run on the first; the
plan says which cases can move and why the others cannot, in Chinese; the process owner moves
the ticked cases in one audited batch; the moved cases are on the new version with their
rectification deadline and reminder timers unchanged; the report shows before and after."""
from __future__ import annotations

import re
from datetime import timedelta

import pytest
from sqlalchemy import select

from app.db import db, unit_of_work
from app.models import AuditEvent
from app.policy import Actor
from app.services import case_migration
from app.services.audit import verify_chain
from app.services.engine_context import EngineContext
from tests.drive import ServiceDriver, travel
from tests.web import migration_cases as mc
from tests.web.conftest import csrf_from
from tests.web.staff_pages import text

PLAN = f"/models/{mc.KEY}/migrate/plan"
MIGRATE = f"/models/{mc.KEY}/migrations"
CHOOSE = f"/models/{mc.KEY}/migrate"
_BOX = re.compile(r'<input type="checkbox" name="instance_id" value="(\d+)"[^>]*?(checked)?\s*(?:aria-[^>]*)?>', re.S)


@pytest.fixture
def traveller():
    with travel() as t:
        yield t


@pytest.fixture
def scenario(app, demo, traveller):
    return mc.build(app, traveller)


def _plan(client, scenario, **fields):
    page = client.get(CHOOSE)
    assert page.status_code == 200
    data = {"csrf_token": csrf_from(page.data), "from": scenario.base, "to": scenario.new, "stage": "", "org": ""}
    data.update(fields)
    return client.post(PLAN, data=data)


def _boxes(html: str) -> dict[int, bool]:
    """Instance ids offered for the batch -> ticked."""
    return {int(m.group(1)): bool(m.group(2)) for m in _BOX.finditer(html)}


def _section(html: str, title_id: str) -> str:
    start = html.index(f'id="{title_id}"')
    end = html.find('<section', start)
    return html[start:end if end != -1 else len(html)]


def _migrate(client, scenario, ids, note="确认整改结果时限按省里新规定改为12日", **fields):
    token = csrf_from(client.get(CHOOSE).data)
    data = {"csrf_token": token, "from": scenario.base, "to": scenario.new, "stage": "", "org": "",
            "instance_id": [str(i) for i in ids], "note": note}
    data.update(fields)
    return client.post(MIGRATE, data=data)


def _ids(app, *case_nos) -> list[int]:
    return [mc.read(app, mc.instance_id, c) for c in case_nos]


def _audit(app, action: str) -> list[AuditEvent]:
    def load():
        rows = db.session.execute(select(AuditEvent).where(AuditEvent.action == action)
                                  .order_by(AuditEvent.id)).scalars().all()
        for r in rows:
            db.session.expunge(r)
        return rows
    return mc.read(app, load)


def test_the_plan_says_for_each_running_case_whether_it_can_move_and_why_not(app, scenario, staff_client):
    owner = staff_client("owner")
    chooser = text(owner.get(CHOOSE))
    # defaults: the newest version as target, the older one with running cases as source
    assert f'<option value="{scenario.new}" selected>' in chooser and f'<option value="{scenario.base}" selected>' in chooser

    resp = _plan(owner, scenario, stage="rectification")
    html = text(resp)
    assert resp.status_code == 200
    movable_ids = _ids(app, *scenario.movable)
    stuck_id, verifying_id = _ids(app, scenario.stuck, scenario.verifying)
    # the movable cases are offered, all ticked by default; the refused one is not offered at all
    assert _boxes(html) == {i: True for i in movable_ids}
    refused = _section(html, "mig-refused-title")
    assert scenario.stuck in refused and all(c not in refused for c in scenario.movable)
    # the reason in plain Chinese: which finished task changed in what, and what is allowed
    assert "案件已办理完毕的环节「确认整改结果」（confirm_rectification）在新版本中修改了办理时限规则" in refused
    assert "只允许修改名称、说明、办理指引或连线" in refused
    assert scenario.verifying not in html  # another stage: filtered out
    # what changed between the versions, in words
    assert re.search(r"已改动</span> 确认整改结果 <span[^>]*>confirm_rectification</span> — 办理时限规则", html)
    assert re.search(r"已改动</span> 核实投诉 <span[^>]*>verify</span> — 名称", html)
    # the counts: 3 in rectification, 3 checked, 2 movable, 1 not
    stats = re.findall(r'<span class="mig-stat-n">(\d+)</span>', html)
    assert stats == ["3", "3", "2", "1"]

    # without the stage filter the case in verification is offered too; another org matches nothing
    assert set(_boxes(text(_plan(owner, scenario)))) == {*movable_ids, verifying_id}
    assert stuck_id not in _boxes(text(_plan(owner, scenario)))
    assert _boxes(text(_plan(owner, scenario, org="BB-GOV"))) == {}
    assert set(_boxes(text(_plan(owner, scenario, org="HY-GOV")))) == {*movable_ids, verifying_id}


def test_the_owner_migrates_the_ticked_cases_in_one_audited_batch_keeping_deadlines(app, scenario, staff_client,
                                                                                     traveller):
    owner = staff_client("owner")
    plan = text(_plan(owner, scenario, stage="rectification"))
    ticked = [i for i, on in _boxes(plan).items() if on]
    before = {c: mc.read(app, mc.deadlines, c) for c in scenario.movable}
    assert all(set(before[c]["timers"]) == {"rectify_deadline_timer", "rectify_reminder_timer"}
               for c in scenario.movable)

    traveller.shift(timedelta(hours=2))
    resp = _migrate(owner, scenario, ticked)
    assert resp.status_code == 302
    report_url = resp.headers["Location"]
    assert re.fullmatch(rf"/models/{mc.KEY}/migrations/\d+", report_url)

    # in the database: on the new version, same ready task (id, created, due) and the same timers
    for case_no in scenario.movable:
        assert mc.read(app, mc.version_of, case_no) == scenario.new
        assert mc.read(app, mc.deadlines, case_no) == before[case_no]
    assert mc.read(app, mc.version_of, scenario.stuck) == scenario.base
    assert mc.read(app, mc.version_of, scenario.verifying) == scenario.base  # not ticked: not touched

    # the audit trail: one entry per moved case, the batch, and the report with the note; chains intact
    moved = _audit(app, "case_migrated")
    assert sorted(e.instance_id for e in moved) == sorted(ticked)
    assert all((e.detail["from_version"], e.detail["to_version"]) == (scenario.base, scenario.new) for e in moved)
    [batch] = _audit(app, "cases_migrated")
    assert sorted(batch.detail["moved"]) == sorted(ticked) and batch.detail["refused"] == []
    assert batch.actor_label == "owner"
    [report] = _audit(app, "cases_migration_report")
    assert report.detail["note"] == "确认整改结果时限按省里新规定改为12日"
    assert report.at == batch.at and report.chain == batch.chain == "system"
    assert mc.read(app, lambda: verify_chain(db.session).ok)

    # the report page: what moved, from -> to, every deadline before and after, unchanged
    page = text(owner.get(report_url))
    assert "迁移报告：版本 %d → 版本 %d" % (scenario.base, scenario.new) in page
    assert "马骏 于 " in page  # who ran the batch, by name
    moved_section = _section(page, "mig-moved-title")
    assert all(c in moved_section for c in scenario.movable)
    assert "已变化" not in moved_section and moved_section.count("未变") == 3 * len(scenario.movable)
    for case_no in scenario.movable:
        due = mc.read(app, mc.deadlines, case_no)["tasks"]["report_rectification"][1]
        assert f"{_local(due)}</span>" in moved_section
    assert "所有已迁移案件的办理期限和催办定时器均与迁移前一致" in page
    assert "确认整改结果时限按省里新规定改为12日" in page
    assert "本批次没有迁移任何案件" not in page and "所有勾选的案件都已迁移" in page
    # the migrate page lists the batch
    chooser = text(owner.get(CHOOSE))
    assert report_url in chooser and "迁移 2" in chooser


def _local(moment) -> str:
    from app.web.template_helpers import local_datetime
    return local_datetime(moment)


def test_a_case_that_moved_or_closed_since_the_plan_is_reported_not_failing_the_batch(app, scenario, staff_client):
    owner = staff_client("owner")
    first, second = scenario.movable
    first_id, second_id, verifying_id = _ids(app, first, second, scenario.verifying)
    assert set(_boxes(text(_plan(owner, scenario)))) == {first_id, second_id, verifying_id}

    # meanwhile: another owner moves the first case, the complainant withdraws the second
    with app.app_context():
        with unit_of_work(db.session):
            case_migration.migrate_batch(EngineContext.load(db.session, _now()), Actor.system("other-owner"),
                                         mc.KEY, scenario.base, scenario.new, [first_id])
        ServiceDriver(None).withdraw(second, "已收到全部款项，申请撤回投诉。")
        db.session.remove()

    resp = _migrate(owner, scenario, [first_id, second_id, verifying_id])
    assert resp.status_code == 302
    page = text(owner.get(resp.headers["Location"]))
    moved, refused = _section(page, "mig-moved-title"), _section(page, "mig-refused-title")
    assert scenario.verifying in moved and first not in moved and second not in moved
    assert first in refused and f"案件已不在版本 {scenario.base} 上（可能已被他人迁移），本次未作改动。" in refused
    assert second in refused and "案件已办结或已终止，不再需要迁移，本次未作改动。" in refused
    assert mc.read(app, mc.version_of, scenario.verifying) == scenario.new
    [_, batch] = _audit(app, "cases_migrated")
    assert batch.detail["moved"] == [verifying_id]
    assert sorted(r["instance_id"] for r in batch.detail["refused"]) == [first_id, second_id]


def _now():
    from app import clock
    return clock.now()


def test_a_reminder_already_due_fires_at_its_own_time_and_the_cycle_goes_on(app, scenario, staff_client, traveller):
    """The scheduler had not yet fired a due reminder when the batch ran: the move fires it; the next
    reminder is two days after the due one (the cycle goes on), not two days after the migration."""
    owner = staff_client("owner")
    case_no = scenario.movable[0]
    before = mc.read(app, mc.deadlines, case_no)
    due = before["timers"]["rectify_reminder_timer"]
    traveller.move_to(due + timedelta(hours=5))
    resp = _migrate(owner, scenario, _ids(app, case_no))
    assert resp.status_code == 302
    after = mc.read(app, mc.deadlines, case_no)
    assert after["timers"]["rectify_reminder_timer"] == due + timedelta(days=2)
    assert after["timers"]["rectify_deadline_timer"] == before["timers"]["rectify_deadline_timer"]
    assert after["tasks"] == before["tasks"]
    page = text(owner.get(resp.headers["Location"]))
    assert "迁移前已到期，按原定时间触发" in page and "已变化" not in _section(page, "mig-moved-title")
    assert "所有已迁移案件的办理期限和催办定时器均与迁移前一致" in page


def test_admins_see_plans_and_reports_read_only(app, scenario, staff_client):
    admin = staff_client("admin")
    chooser = admin.get(CHOOSE)
    assert chooser.status_code == 200 and "只有流程管理人员可以执行迁移" in text(chooser)
    plan = text(_plan(admin, scenario, stage="rectification"))
    assert scenario.movable[0] in plan and "已办理完毕的环节「确认整改结果」" in plan
    assert _boxes(plan) == {} and 'name="note"' not in plan and "/migrations" not in plan.split("<main", 1)[1]

    resp = _migrate(admin, scenario, _ids(app, *scenario.movable))
    assert resp.status_code == 403
    assert [mc.read(app, mc.version_of, c) for c in scenario.movable] == [scenario.base] * 2
    assert _audit(app, "cases_migrated") == [] and _audit(app, "case_migrated") == []

    # the owner's report is open to the admin, with links to the cases (owners cannot open cases)
    report_url = _migrate(staff_client("owner"), scenario, _ids(app, scenario.movable[0])).headers["Location"]
    page = text(admin.get(report_url))
    assert f'href="/cases/{scenario.movable[0]}"' in page


@pytest.mark.parametrize("username", ["handler_hygov", "supervisor_city", "intake_12345"])
def test_other_staff_do_not_find_the_pages(app, scenario, staff_client, username):
    client = staff_client(username)
    token = csrf_from(client.get("/inbox").data)
    assert client.get(CHOOSE).status_code == 404
    assert client.post(PLAN, data={"csrf_token": token, "from": scenario.base, "to": scenario.new}).status_code == 404
    ids = [str(i) for i in _ids(app, *scenario.movable)]
    resp = client.post(MIGRATE, data={"csrf_token": token, "from": scenario.base, "to": scenario.new,
                                      "instance_id": ids, "note": "x"})
    assert resp.status_code == 404
    assert [mc.read(app, mc.version_of, c) for c in scenario.movable] == [scenario.base] * 2


def test_a_batch_without_a_note_or_a_ticked_case_is_refused_keeping_the_choice(app, scenario, staff_client):
    owner = staff_client("owner")
    first_id, second_id = _ids(app, *scenario.movable)
    resp = _migrate(owner, scenario, [first_id], note="  ", stage="rectification")
    html = text(resp)
    assert resp.status_code == 422 and "请填写迁移说明，它将记入审计记录。" in html
    assert _boxes(html) == {first_id: True, second_id: False}  # what was ticked stays ticked

    resp = _migrate(owner, scenario, [], note="按新规定迁移", stage="rectification")
    html = text(resp)
    assert resp.status_code == 422 and "请至少勾选一个可以迁移的案件。" in html and "按新规定迁移</textarea>" in html

    resp = _migrate(owner, scenario, ["abc"], note="按新规定迁移")
    assert resp.status_code == 422 and "所选案件有误" in text(resp)
    assert [mc.read(app, mc.version_of, c) for c in scenario.movable] == [scenario.base] * 2
    assert _audit(app, "cases_migrated") == []


def test_bad_choices_are_answered_never_with_a_500(app, scenario, staff_client):
    owner = staff_client("owner")
    same = _plan(owner, scenario, to=str(scenario.base))
    assert same.status_code == 422 and "目标版本必须不同于案件当前所在的版本。" in text(same)
    unknown = _plan(owner, scenario, **{"from": "999"})
    assert unknown.status_code == 422 and "请选择案件当前所在的版本。" in text(unknown)
    assert owner.get("/models/no_such_process/migrate").status_code == 404
    assert owner.get(f"{MIGRATE}/999999").status_code == 404
    resp = _migrate(owner, scenario, _ids(app, *scenario.movable), to=str(scenario.base))
    assert resp.status_code == 422 and "目标版本必须不同于案件当前所在的版本。" in text(resp)
    resp = _migrate(owner, scenario, _ids(app, *scenario.movable), to="999")
    assert resp.status_code == 422 and "请选择要迁移到的版本。" in text(resp)
    assert [mc.read(app, mc.version_of, c) for c in scenario.movable] == [scenario.base] * 2


def test_the_batch_size_is_capped_with_a_count(app, scenario, staff_client, monkeypatch):
    monkeypatch.setattr(case_migration, "MAX_BATCH", 1)
    monkeypatch.setattr(case_migration, "MAX_PLAN", 2)
    owner = staff_client("owner")
    html = text(_plan(owner, scenario))
    # 4 running cases match; the plan checks the oldest 2 and ticks only 1 (the batch size)
    assert "符合条件的案件共 4 个，本次只检查了最早的 2 个" in html
    first_id, second_id = _ids(app, *scenario.movable)
    assert _boxes(html) == {first_id: True, second_id: False}
    assert "每批最多迁移 1 个案件，已默认勾选最早的 1 个" in html
    resp = _migrate(owner, scenario, [first_id, second_id])
    assert resp.status_code == 422 and "每批最多迁移 1 个案件，请减少勾选。" in text(resp)


def test_the_pages_speak_english(app, scenario, staff_client):
    owner = staff_client("owner")
    owner.get("/lang/en")
    chooser = text(owner.get(CHOOSE))
    assert "<h1>Move running cases</h1>" in chooser and "Check which cases can move" in chooser
    plan = text(_plan(owner, scenario, stage="rectification"))
    assert "the finished step" in plan.lower() or "completed step" in plan.lower()
    assert "迁移计划" not in plan and "不能迁移" not in plan


@pytest.mark.parametrize("reason, element, expected", [
    ("the active task 'report_rectification' (报告整改情况) (READY) does not exist in the new version", "",
     "案件当前待办理的环节「报告整改情况」（report_rectification）在新版本中被删除，迁移后这项工作及其期限会消失。"),
    ("the finished task 'verify' (核实投诉) (COMPLETED) does not exist in the new version", "",
     "案件已办理过的环节「核实投诉」（verify）在新版本中被删除"),
    ("the running subprocess 'complaint_rectification' does not exist in the new version", "",
     "案件正在办理的子流程「complaint_rectification」在新版本中已不存在"),
    ("the started task 'choose_remedy' changed in lane, extensions.properties.formJsonSchemaFilename; a finished "
     "task may only change its label, documentation, instructions or connections", "choose_remedy",
     "案件已开始办理的环节choose_remedy在新版本中修改了办理角色（泳道）、表单；"),
    ("cannot move this case: the waiting task 'rectify_reminder_timer' (每2日催办) has no counterpart in the new "
     "version", "", "案件等待中的环节「每2日催办」（rectify_reminder_timer）在新版本中找不到对应的环节。"),
    ("cannot move this case: ValueError: bad timer expression", "", "在副本上试迁移时流程引擎报错"),
    ("instance 7 not found", "", "找不到该案件的办理流程，本次未作改动。"),
    ("unexpected error, nothing was changed for this case: OperationalError: locked", "", "发生意外错误"),
    ("NameError: name 'x' is not defined", "script_task", "流程引擎拒绝迁移该案件（原因见技术信息）。"),
])
def test_refusal_reasons_read_as_plain_sentences_with_the_engine_text_kept(app, reason, element, expected):
    from app.web.migration_reasons import explain

    with app.test_request_context("/"):
        why = explain(reason, element)
    assert expected in why.text
    assert why.detail and why.detail in reason  # the engine's words stay available as the technical detail


def test_the_report_flags_a_deadline_that_changed_or_vanished(app):
    from datetime import datetime, timezone

    from app.web.migration_views import compare_deadlines

    at = datetime(2026, 3, 10, 2, 0, tzinfo=timezone.utc)
    task = {"kind": "task", "element": "report_rectification", "name": "报告整改情况", "timer_kind": "",
            "due_at": "2026-03-30T15:59:59+00:00"}
    reminder = {"kind": "timer", "element": "rectify_reminder_timer", "name": "", "timer_kind": "cycle",
                "due_at": "2026-03-11T07:00:00+00:00"}
    fired = {**reminder, "due_at": "2026-03-09T07:00:00+00:00"}
    with app.test_request_context("/"):
        rows = compare_deadlines([task, reminder], [{**task, "due_at": "2026-04-03T15:59:59+00:00"}], at)
        assert [(r["label"], r["status"]) for r in rows] == [("报告整改情况", "changed"), ("整改催办（每2日）", "removed")]
        rows = compare_deadlines([task, fired], [task, {**fired, "due_at": "2026-03-11T07:00:00+00:00"}], at)
        assert [r["status"] for r in rows] == ["same", "due"]
