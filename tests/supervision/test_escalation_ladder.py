"""The escalation ladder on a verification left alone: notices, overdue, 催办, 督办 — each once."""
from datetime import timedelta

from sqlalchemy import func, select

from app import clock
from app.db import db, unit_of_work
from app.models import AuditEvent, Escalation
from app.services.escalation import run_escalations


def _moments(v, after_workdays=3):
    task = v.task()
    created, due = clock.as_utc(task.created_at), clock.as_utc(task.due_at)
    return [
        (created + (due - created) * 0.5, ["notice_50"]),
        (created + (due - created) * 0.8, ["notice_50", "notice_80"]),
        (due, ["notice_50", "notice_80", "overdue", "reminder"]),
        (v.ctx().calendar.add_workdays(due, after_workdays),
         ["notice_50", "notice_80", "overdue", "reminder", "supervision_order"]),
    ]


def test_a_verification_left_alone_walks_the_whole_ladder_once_and_the_supervisor_sees_it(verification, client, auth):
    v = verification
    seen: list[str] = []
    for moment, expected in _moments(v):
        v.move_to(moment, minutes=-1)
        v.escalate(passes=2)
        assert v.kinds() == seen, f"a step fired before its moment {moment}"
        v.move_to(moment, minutes=1)
        v.escalate(passes=2)  # two schedulers (or a retry) at the same moment
        assert v.kinds() == expected
        seen = expected
    assert v.task().escalation_level == 5
    task_id, case_no = v.task().id, v.case_no
    db.session.rollback()

    board = client.get("/api/v1/supervision/clocks", headers=auth("supervisor_hy")).get_json()["clocks"]
    [row] = [r for r in board if r["task_id"] == task_id]
    assert row["overdue"] is True and row["escalation_level"] == 5 and row["workdays_left"] == -4  # 3 full working days overdue, now on the 4th
    history = client.get(f"/api/v1/cases/{case_no}", headers=auth("supervisor_hy")).get_json()["history"]
    steps = [h["action"] for h in history if h["action"].startswith("escalation:")]
    assert steps == ["escalation:notice_50", "escalation:notice_80", "escalation:overdue", "escalation:reminder",
                     "escalation:supervision_order"]


def test_nothing_fires_before_half_the_time_has_passed(verification):
    v = verification
    v.move_to(_moments(v)[0][0], minutes=-5)
    assert v.escalate() == 0
    assert v.kinds() == [] and v.task().escalation_level == 0


def test_steps_missed_during_downtime_are_all_recorded_but_only_the_latest_is_notified(verification):
    v = verification
    handler = v.handler_username()
    v.move_to(clock.as_utc(v.task().due_at), minutes=60)
    assert v.escalate() == 4
    assert v.kinds() == ["notice_50", "notice_80", "overdue", "reminder"]
    titles = [n.title for n in v.notifications_of(handler)]
    assert len(titles) == 1 and titles[0].startswith("【催办】")
    superseded = db.session.execute(select(func.count(AuditEvent.id)).where(
        AuditEvent.action.like("escalation:%"), AuditEvent.case_id == v.case.id)).scalar_one()
    assert superseded == 4


def test_each_notice_reaches_the_handling_orgs_handlers(verification):
    v = verification
    handler = v.handler_username()
    v.move_to(_moments(v)[0][0])
    v.escalate()
    [note] = v.notifications_of(handler)
    assert note.kind == "escalation:notice_50" and v.case_no in note.title and note.read_at is None


def test_the_supervision_order_goes_to_the_supervisors_of_the_case(verification):
    v = verification
    moment = _moments(v)[3][0]
    v.move_to(moment)
    v.escalate()
    orders = [n for n in v.notifications_of("supervisor_hy") if n.kind == "escalation:supervision_order"]
    assert len(orders) == 1 and orders[0].title.startswith("【督办】")
    order = db.session.execute(select(Escalation).where(Escalation.kind == "supervision_order")).scalar_one()
    assert order.org_id == v.case.supervising_org_id


def test_the_supervision_delay_in_working_days_is_configurable(verification):
    v = verification
    one_day_after = _moments(v, after_workdays=1)[3][0]
    v.move_to(one_day_after)
    v.escalate(after_workdays=3)
    assert "supervision_order" not in v.kinds()
    v.escalate(after_workdays=1)
    assert v.kinds()[-1] == "supervision_order"


def test_a_step_another_scheduler_already_recorded_is_skipped_not_duplicated(verification):
    v = verification
    task = v.task()
    v.move_to(_moments(v)[0][0])
    with unit_of_work(db.session):  # the other scheduler's row, committed after our candidate read
        db.session.add(Escalation(task_id=task.id, case_id=task.case_id, org_id=task.org_id, kind="notice_50",
                                  at=clock.now(), by_label="escalation", note=""))
    assert v.escalate() == 0
    assert v.kinds() == ["notice_50"]


def test_a_task_with_a_provisional_due_date_is_skipped(verification):
    v = verification
    with unit_of_work(db.session):
        task = v.task()
        task.due_at, task.due_basis = None, {"rule": task.due_rule, "provisional": True}
    v.traveller.move_to(clock.now() + timedelta(days=60))
    with unit_of_work(db.session):
        assert run_escalations(v.ctx()) == 0
    assert v.kinds() == []


def test_a_supervision_order_the_calendar_cannot_time_is_flagged_once_instead_of_waiting_silently(verification):
    from datetime import datetime

    from app.models import Case
    from app.services.escalation import BLOCKED

    v = verification
    with unit_of_work(db.session):
        task = v.task()
        task.created_at = datetime(2026, 12, 1, 9, 0, tzinfo=clock.SHANGHAI)
        task.due_at = datetime(2026, 12, 31, 23, 59, 59, tzinfo=clock.SHANGHAI)  # 督办 would fall in 2027 (not loaded)
    v.traveller.move_to(datetime(2027, 1, 8, 10, 0, tzinfo=clock.SHANGHAI))
    v.escalate(passes=2)
    assert v.kinds() == ["notice_50", "notice_80", "overdue", "reminder", BLOCKED]
    assert v.task().escalation_level == 4  # the 督办 itself has not fired: it still waits for the calendar
    case = db.session.get(Case, v.task().case_id)
    assert case.needs_attention and "2027" in case.attention_reason and "督办" in case.attention_reason
    held = [n for n in v.notifications_of("supervisor_hy") if n.kind == f"escalation:{BLOCKED}"]
    assert len(held) == 1 and held[0].title.startswith("【督办暂停】")
    v.escalate()
    assert v.kinds().count(BLOCKED) == 1
