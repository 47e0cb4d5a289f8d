"""Every path of the lifecycle, driven to its end through the services (state persisted after every step)."""
import pytest
from sqlalchemy import select

from app.db import db
from app.models import Case, OutboxMessage, ReadyTask, Timer
from app.services.audit import verify_chain
from tests.drive import ServiceDriver, run_path, travel
from tests.lifecycle_paths import PATHS


@pytest.mark.parametrize("name", sorted(PATHS))
def test_path_reaches_its_outcome(app, demo, name):
    path = PATHS[name]
    with app.app_context(), travel() as traveller:
        driver = ServiceDriver(traveller)
        case_no = run_path(driver, path)
        case = driver.case(case_no)
        assert case.outcome == path["outcome"]
        assert case.status == "closed"
        assert db.session.execute(select(ReadyTask).where(ReadyTask.case_id == case.id)).first() is None
        assert db.session.execute(
            select(Timer).where(Timer.case_id == case.id, Timer.fired_at.is_(None))).first() is None
        assert verify_chain(db.session).ok
        topics = db.session.execute(select(OutboxMessage.topic).where(OutboxMessage.case_id == case.id)).scalars().all()
        assert topics.count("case_closed") == 1
        determined = path["outcome"] == "breach_repaired"
        assert ("breach_determined" in topics) == determined and ("credit_repaired" in topics) == determined
        db.session.remove()


def test_case_numbers_are_sequential_per_year(app, demo):
    from tests.drive import complaint_for

    with app.app_context(), travel() as traveller:
        driver = ServiceDriver(traveller)
        first, _ = driver.file(complaint_for({"complaint": {"contract": {"contract_no": "HT-1"}}}))
        second, _ = driver.file(complaint_for({"complaint": {"contract": {"contract_no": "HT-2"}}}))
        assert first.startswith("BB-2026-") and int(second[-6:]) == int(first[-6:]) + 1
        assert db.session.execute(select(Case)).scalars().all()
        db.session.remove()
