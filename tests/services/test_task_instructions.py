"""Task instructions read well when optional complaint fields were left empty."""
from __future__ import annotations

import copy

from app.db import db
from tests.drive import ServiceDriver, ready, travel
from tests.lifecycle_paths import ACCEPT_AND_REFER, SAMPLE_COMPLAINT


def test_instructions_leave_out_an_amount_the_complainant_did_not_give(app, demo):
    data = copy.deepcopy(SAMPLE_COMPLAINT)
    del data["contract"]["amount_claimed"]
    with app.app_context(), travel() as traveller:
        driver = ServiceDriver(traveller)
        case_no, _code = driver.file(data)
        triage = ready(driver.case(case_no).id, "triage")
        assert "None" not in triage.instructions and "诉求金额" not in triage.instructions
        assert "怀远县住房和城乡建设局" in triage.instructions
        for step in ACCEPT_AND_REFER:
            driver.complete(case_no, step["task"], step["data"])
        verify = ready(driver.case(case_no).id, "verify")
        assert "None" not in verify.instructions and "诉求金额" not in verify.instructions
        db.session.remove()


def test_instructions_state_the_amount_when_it_was_given(app, demo):
    with app.app_context(), travel() as traveller:
        driver = ServiceDriver(traveller)
        case_no, _code = driver.file(copy.deepcopy(SAMPLE_COMPLAINT))
        assert "诉求金额：125000.00 元" in ready(driver.case(case_no).id, "triage").instructions
        db.session.remove()
