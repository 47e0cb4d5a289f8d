"""Loading a calendar year recomputes exactly the open deadlines it affects."""
import time_machine
from sqlalchemy import select

from app import clock
from app.db import db, unit_of_work
from app.models import AuditEvent, ReadyTask
from app.policy import Actor
from app.services.calendar_admin import import_year
from app.services.engine_context import EngineContext
from tests.drive import ServiceDriver, complaint_for

SCHEDULE_2027 = """2027-01-01 holiday 元旦
2027-02-05..2027-02-11 holiday 春节
2027-02-13 workday 春节调休
"""


def _file_and_accept(driver, contract_no, accept=True):
    case_no, _ = driver.file(complaint_for({"complaint": {"contract": {"contract_no": contract_no}}}))
    if accept:
        driver.complete(case_no, "triage", {"intake_decision": "accept"})
        driver.complete(case_no, "receive_referral", {"referral_decision": "accept"})
    return driver.case(case_no)


def test_loading_next_year_dates_the_provisional_deadlines_and_only_those(app, demo):
    with app.app_context(), time_machine.travel("2026-12-24T09:00:00+08:00", tick=True) as traveller:
        driver = ServiceDriver(traveller)
        verifying = _file_and_accept(driver, "HT-2027-A")          # verify: 10 workdays -> into 2027
        triaging = _file_and_accept(driver, "HT-2027-B", accept=False)  # triage: 1 workday -> 25 Dec
        verify = db.session.execute(select(ReadyTask).where(ReadyTask.case_id == verifying.id)).scalar_one()
        triage = db.session.execute(select(ReadyTask).where(ReadyTask.case_id == triaging.id)).scalar_one()
        assert verify.due_at is None and verify.due_basis["provisional"] is True
        triage_due = triage.due_at
        assert triage_due is not None

        with unit_of_work(db.session):
            result = import_year(EngineContext.load(db.session, clock.now()), Actor.system("test"), 2027,
                                 SCHEDULE_2027, "国办发明电〔2026〕X号（测试数据）")
        assert [c.task for c in result.changes] == ["verify"]
        verify = db.session.get(ReadyTask, verify.id)
        # 10 working days after Thu 24 Dec 2026: 25, 28, 29, 30, 31 Dec, (1 Jan holiday), 4, 5, 6, 7, 8 Jan
        assert clock.local(verify.due_at).date().isoformat() == "2027-01-08"
        assert db.session.get(ReadyTask, triage.id).due_at == triage_due
        moved = db.session.execute(select(AuditEvent).where(AuditEvent.action == "deadline_recomputed")).scalars().all()
        assert [e.case_id for e in moved] == [verifying.id]
        db.session.remove()


def test_a_dry_run_lists_the_changes_and_writes_nothing(app, demo, tmp_path):
    with app.app_context(), time_machine.travel("2026-12-24T09:00:00+08:00", tick=True) as traveller:
        driver = ServiceDriver(traveller)
        case = _file_and_accept(driver, "HT-2027-C")
        db.session.remove()
        schedule = tmp_path / "2027.txt"
        schedule.write_text(SCHEDULE_2027, encoding="utf-8")
        result = app.test_cli_runner().invoke(
            args=["lvyue", "calendar", "import", "2027", str(schedule), "--doc", "X", "--dry-run"])
        assert result.exit_code == 0, result.output
        assert "verify" in result.output and "nothing changed" in result.output
        task = db.session.execute(select(ReadyTask).where(ReadyTask.case_id == case.id)).scalar_one()
        assert task.due_at is None
        db.session.remove()


def test_a_deadline_that_stays_provisional_is_neither_rewritten_nor_announced(app, demo):
    """Loading an unrelated year leaves a 2027 deadline provisional: no audit entry, no notification."""
    from app.models import Notification

    with app.app_context(), time_machine.travel("2026-12-24T09:00:00+08:00", tick=True) as traveller:
        driver = ServiceDriver(traveller)
        verifying = _file_and_accept(driver, "HT-2027-C")
        with unit_of_work(db.session):
            import_year(EngineContext.load(db.session, clock.now()), Actor.system("admin"), 2028,
                        "2028-01-01 holiday 元旦\n", "国办发明电〔2027〕7号")
        task = db.session.execute(select(ReadyTask).where(ReadyTask.case_id == verifying.id)).scalar_one()
        assert task.due_at is None and task.due_basis.get("provisional")
        moved = db.session.execute(select(AuditEvent).where(AuditEvent.case_id == verifying.id,
                                                            AuditEvent.action == "deadline_recomputed")).first()
        assert moved is None
        assert db.session.execute(select(Notification).where(Notification.kind == "deadline_moved")).first() is None
        db.session.remove()


def test_the_handlers_notice_shows_local_dates(app, demo):
    from app.models import Notification

    with app.app_context(), time_machine.travel("2026-12-24T09:00:00+08:00", tick=True) as traveller:
        driver = ServiceDriver(traveller)
        _file_and_accept(driver, "HT-2027-D")
        with unit_of_work(db.session):
            import_year(EngineContext.load(db.session, clock.now()), Actor.system("admin"), 2027, SCHEDULE_2027,
                        "国办发明电〔2026〕9号")
        body = db.session.execute(select(Notification.body).where(Notification.kind == "deadline_moved")).scalars().first()
        assert body and "暂定（待工作日历载入） → 2027-01-" in body and "+08:00" not in body
        db.session.remove()
