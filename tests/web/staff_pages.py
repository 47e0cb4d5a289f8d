"""Helpers for the staff page tests (inbox, task page, case page): complaints filed through the API,
steps taken by the demo user whose role and org the task names, a second colleague in
怀远县人民政府, sign-in for any user and statement counting."""
from __future__ import annotations

import copy
import re
from contextlib import contextmanager

from sqlalchemy import event, select

from app import clock
from app.db import db, unit_of_work
from app.models import Case, ReadyTask, User
from app.services.accounts import create_user
from app.services.demo_seed import DEMO_USERS
from tests.lifecycle_paths import SAMPLE_COMPLAINT
from tests.web.conftest import csrf_from

COLLEAGUE = ("handler_hygov_web", "colleague-password-1", "王晓东")  # a second handler of 怀远县人民政府


def complaint(n: int = 0, **contract) -> dict:
    data = copy.deepcopy(SAMPLE_COMPLAINT)
    data["complainant"]["name"] = ["怀远县禾丰农业科技有限公司", "蚌埠恒达建材有限公司", "五河县绿源食品有限公司",
                                   "固镇县宏图机械制造厂", "蚌埠智联信息技术有限公司"][n % 5]
    data["contract"]["contract_no"] = f"HYZJ-2023-{100 + n}"
    data["contract"]["title"] = contract.get("title") or f"老旧小区改造工程（第{n + 1}标段）施工合同"
    return data


def file_complaint(client, auth, n: int = 0, **contract) -> str:
    resp = client.post("/api/v1/complaints", json=complaint(n, **contract), headers=auth("intake_12345"))
    assert resp.status_code == 201, resp.get_json()
    return resp.get_json()["case_no"]


def ready_task(app, case_no: str, spec_id: str) -> ReadyTask:
    with app.app_context():
        case = db.session.execute(select(Case).where(Case.case_no == case_no)).scalar_one()
        task = db.session.execute(select(ReadyTask).where(ReadyTask.case_id == case.id,
                                                          ReadyTask.spec_id == spec_id)).scalar_one()
        db.session.expunge(task)
        db.session.remove()
    return task


def username_for(app, task: ReadyTask) -> str:
    """The demo user of the task's role and org."""
    with app.app_context():
        user = db.session.execute(select(User).where(User.role == task.role, User.org_id == task.org_id,
                                                     User.username.in_(list(DEMO_USERS)))).scalars().first()
        db.session.remove()
    assert user is not None, f"no demo user for {task.spec_id}"
    return user.username


def advance(app, client, auth, case_no: str, spec_id: str, data: dict) -> None:
    """Complete the case's ready task `spec_id` through the API as the right demo user."""
    task = ready_task(app, case_no, spec_id)
    resp = client.post(f"/api/v1/tasks/{task.id}/complete", json={"data": data},
                       headers=auth(username_for(app, task)))
    assert resp.status_code == 200, resp.get_json()


def colleague(app) -> tuple[str, str]:
    """(username, password) of a second handler in 怀远县人民政府 (users are kept between tests)."""
    username, password, display = COLLEAGUE
    with app.app_context():
        if db.session.execute(select(User).where(User.username == username)).scalar_one_or_none() is None:
            with unit_of_work(db.session):
                create_user(db.session, clock.now(), username, password, "handler", "HY-GOV", display_name=display)
        db.session.remove()
    return username, password


def sign_in_as(app, username: str, password: str):
    client = app.test_client()
    token = csrf_from(client.get("/login").data)
    resp = client.post("/login", data={"username": username, "password": password, "csrf_token": token})
    assert resp.status_code == 302, resp.data[:300]
    return client


def text(resp) -> str:
    return resp.get_data(as_text=True)


def form_token(html: str) -> str:
    return csrf_from(html)


def badge_order(html: str, marker: str) -> list[str]:
    """Values of `marker` (a regex with one group) in page order."""
    return re.findall(marker, html)


@contextmanager
def count_statements(app):
    """Counts the SQL statements run inside the block: `with count_statements(app) as n: ...; n[0]`."""
    counter = [0]
    with app.app_context():
        engine = db.engine

    def on_execute(*_args):
        counter[0] += 1

    event.listen(engine, "before_cursor_execute", on_execute)
    try:
        yield counter
    finally:
        event.remove(engine, "before_cursor_execute", on_execute)
