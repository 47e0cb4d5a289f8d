"""Rectification deadlines: the boundary timer escalates to the supervisor; the cancelled task is stale."""
import pytest
from sqlalchemy import select

from app.db import db, unit_of_work
from app.errors import TaskNotAvailable
from app.models import Case, ReadyTask, TaskLog, Timer
from app.services import tasks
from tests.drive import ServiceDriver, complaint_for, ready, staff_actor_for, travel
from tests.lifecycle_paths import PATHS


def _drive_until(driver, path, stop_task):
    case_no, _ = driver.file(complaint_for(path))
    for step in path["steps"]:
        if step.get("task") == stop_task or "task" not in step:
            break
        driver.complete(case_no, step["task"], step["data"])
    return case_no


@pytest.fixture
def at_rectification(app, demo):
    path = PATHS["rectification_overdue_extended_then_rectified"]
    with app.app_context(), travel() as traveller:
        driver = ServiceDriver(traveller)
        case_no = _drive_until(driver, path, "report_rectification")
        yield driver, case_no
        db.session.remove()


def test_report_task_is_due_at_the_rectification_deadline(at_rectification):
    driver, case_no = at_rectification
    case = driver.case(case_no)
    task = ready(case.id, "report_rectification")
    timer = db.session.execute(select(Timer).where(Timer.case_id == case.id, Timer.attached_to == "report_rectification",
                                                   Timer.kind == "date")).scalar_one()
    assert task.due_at == timer.due_at
    assert task.due_rule == "until rectify_deadline"


def test_overdue_rectification_escalates_to_the_supervisor(at_rectification):
    driver, case_no = at_rectification
    timer_id = db.session.execute(select(Timer.spec_id).where(
        Timer.case_id == driver.case(case_no).id, Timer.kind == "date")).scalar_one()
    driver.fire_timer(case_no, timer_id)
    case = driver.case(case_no)
    task = ready(case.id, "supervise_overdue")
    assert task.role == "supervisor" and task.org_id == case.supervising_org_id
    cancelled = db.session.execute(select(TaskLog).where(TaskLog.case_id == case.id,
                                                         TaskLog.spec_id == "report_rectification")).scalar_one()
    assert cancelled.state == "cancelled"


def test_completing_a_timer_cancelled_task_is_refused_and_changes_nothing(at_rectification):
    driver, case_no = at_rectification
    case = driver.case(case_no)
    stale = ready(case.id, "report_rectification")
    stale_id, actor = stale.id, staff_actor_for(stale)
    timer_id = db.session.execute(select(Timer.spec_id).where(Timer.case_id == case.id, Timer.kind == "date")).scalar_one()
    driver.fire_timer(case_no, timer_id)
    before = db.session.execute(select(Case.stage).where(Case.case_no == case_no)).scalar_one()
    with pytest.raises(TaskNotAvailable):
        with unit_of_work(db.session):
            tasks.complete_task(driver.ctx(), actor, stale_id,
                                {"rectification_report": "已全部整改完毕", "rectification_done": True})
    assert db.session.execute(select(Case.stage).where(Case.case_no == case_no)).scalar_one() == before
    assert [t.spec_id for t in db.session.execute(
        select(ReadyTask).where(ReadyTask.case_id == case.id)).scalars()] == ["supervise_overdue"]


def test_a_deadline_in_an_uncovered_year_is_refused_clearly_and_nothing_is_written(app, demo):
    import time_machine

    from app.errors import CalendarNotCovered

    path = PATHS["rectified"]
    with app.app_context(), time_machine.travel("2026-12-21T09:00:00+08:00", tick=True) as traveller:
        driver = ServiceDriver(traveller)
        case_no = _drive_until(driver, path, "choose_remedy")
        case = driver.case(case_no)
        task = ready(case.id, "choose_remedy")
        task_id, actor = task.id, staff_actor_for(task)
        with pytest.raises(CalendarNotCovered) as info:
            with unit_of_work(db.session):
                tasks.complete_task(driver.ctx(), actor, task_id,
                                    {"remedy": "rectification", "rectify_workdays": 20, "remedy_note": "限期整改"})
        assert info.value.year == 2027 and "2027" in info.value.message
        assert [t.spec_id for t in db.session.execute(
            select(ReadyTask).where(ReadyTask.case_id == case.id)).scalars()] == ["choose_remedy"]
        db.session.remove()


def test_reminders_piled_up_during_downtime_become_one_outbox_message(app, demo):
    from datetime import timedelta

    from app.models import OutboxMessage
    from app.services import timers

    path = PATHS["rectified"]
    with app.app_context(), travel() as traveller:
        driver = ServiceDriver(traveller)
        case_no = _drive_until(driver, path, "report_rectification")
        case = driver.case(case_no)
        reminder = db.session.execute(select(Timer).where(
            Timer.case_id == case.id, Timer.kind == "cycle", Timer.fired_at.is_(None))).scalar_one()
        # the scheduler was down for a week: three or four 2-day reminder cycles are overdue at once
        traveller.move_to(reminder.due_at + timedelta(days=6, minutes=1))
        with unit_of_work(db.session):
            timers.fire_due_timers(driver.ctx(), case.instance_id)
        rows = db.session.execute(select(OutboxMessage).where(
            OutboxMessage.case_id == case.id, OutboxMessage.topic == "rectification_reminder")).scalars().all()
        assert len(rows) == 1
        assert rows[0].payload["count"] >= 3
        assert ready(case.id, "report_rectification")  # a non-interrupting reminder leaves the task open
        db.session.remove()


def test_clock_stop_moves_the_rectification_deadline_by_the_paused_working_days(app, demo):
    from datetime import timedelta

    from app import clock
    from app.calendar import WorkingCalendar
    from app.models import AuditEvent, ClockPause

    rectified = PATHS["rectified"]["steps"]
    with app.app_context(), travel() as traveller:
        driver = ServiceDriver(traveller)
        case_no = _drive_until(driver, PATHS["rectified"], "report_rectification")
        case = driver.case(case_no)
        report = next(s for s in rectified if s.get("task") == "report_rectification")
        deadline_before = ready(case.id, "report_rectification").due_at
        driver.complete(case_no, "report_rectification", report["data"])
        # the complainant takes a calendar week (5 working days in March 2026) to answer, and rejects
        traveller.shift(timedelta(days=7))
        driver.complete(case_no, "confirm_rectification",
                        {"rectification_confirmed": False, "confirmation_comment": "尚欠25000元未付。"})
        pause = db.session.execute(select(ClockPause).where(ClockPause.case_id == case.id)).scalar_one()
        assert pause.ended_at is not None and pause.paused_workdays == 5
        task = ready(case.id, "report_rectification")
        # five working days later: Mon 30 Mar 2026 → Tue 7 Apr (a weekend and the Qingming holiday between)
        assert task.due_at == WorkingCalendar().add_workdays(deadline_before, 5)
        assert clock.local(task.due_at).date().isoformat() == "2026-04-07"
        timer = db.session.execute(select(Timer).where(
            Timer.case_id == case.id, Timer.kind == "date", Timer.fired_at.is_(None))).scalar_one()
        assert timer.due_at == task.due_at
        actions = db.session.execute(select(AuditEvent.action).where(AuditEvent.case_id == case.id)).scalars().all()
        assert "clock_paused" in actions and "clock_resumed" in actions
        db.session.remove()


def test_a_rectification_deadline_crossing_national_day_lands_on_the_right_day(app, demo):
    import time_machine

    from app import clock

    path = PATHS["rectified"]
    with app.app_context(), time_machine.travel("2025-09-24T09:00:00+08:00", tick=True) as traveller:
        driver = ServiceDriver(traveller)
        case_no = _drive_until(driver, path, "choose_remedy")
        traveller.move_to("2025-09-26T10:00:00+08:00")  # Friday before the holiday
        driver.complete(case_no, "choose_remedy",
                        {"remedy": "rectification", "rectify_workdays": 5, "remedy_note": "5个工作日内整改"})
        case = driver.case(case_no)
        task = ready(case.id, "report_rectification")
        # Sun 28 Sep (make-up workday), Mon 29, Tue 30, then 1–8 Oct off, Thu 9, Fri 10 Oct
        assert clock.local(task.due_at).isoformat() == "2025-10-10T23:59:59+08:00"
        timer = db.session.execute(select(Timer).where(Timer.case_id == case.id, Timer.kind == "date")).scalar_one()
        assert timer.due_at == task.due_at
        db.session.remove()
