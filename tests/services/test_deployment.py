"""Deploying models: versions only on change, hostile or broken files refused whole, nothing half-written."""
import shutil
from pathlib import Path

import pytest
from sqlalchemy import func, select

from app import clock
from app.db import db, unit_of_work
from app.errors import DefinitionInvalid, NotAllowed
from app.models import ProcessDefinition
from app.policy import Actor
from app.services.deployment import deploy_dirs
from tests.hostile_xml import BOMB, XXE

APPROVAL3 = Path(__file__).resolve().parents[1] / "fixtures" / "approval3"
SYSTEM = Actor.system("test")



@pytest.fixture
def model_dir(tmp_path):
    d = tmp_path / "models"
    shutil.copytree(APPROVAL3, d)
    return d


def _versions(key="Process_approval3"):
    return db.session.execute(select(func.count(ProcessDefinition.id)).where(ProcessDefinition.key == key)).scalar_one()


def _deploy(d):
    with unit_of_work(db.session):
        return deploy_dirs(db.session, SYSTEM, clock.now(), d, d)


@pytest.fixture
def ctx_app(app, demo):
    with app.app_context():
        yield
        db.session.remove()


def test_unchanged_models_are_not_redeployed(ctx_app, model_dir):
    first = _deploy(model_dir)[0]
    again = _deploy(model_dir)[0]
    assert again.created is False and again.version == first.version


def test_a_change_creates_a_new_immutable_version(ctx_app, model_dir):
    first = _deploy(model_dir)[0]
    bpmn = model_dir / "approval3.bpmn"
    bpmn.write_text(bpmn.read_text().replace('name="Approve"', 'name="Approve it"'))
    second = _deploy(model_dir)[0]
    assert second.created and second.version == first.version + 1
    old = db.session.get(ProcessDefinition, first.definition_id)
    assert 'name="Approve"' in old.files["bpmn"]["approval3.bpmn"]


@pytest.mark.parametrize("payload,what", [(BOMB, "entity"), (XXE, "DOCTYPE")])
def test_hostile_xml_is_refused_and_nothing_is_written(ctx_app, model_dir, payload, what):
    _deploy(model_dir)
    before = _versions()
    (model_dir / "approval3.bpmn").write_bytes(payload)
    with pytest.raises(DefinitionInvalid) as info:
        _deploy(model_dir)
    assert info.value.problems[0].file == "approval3.bpmn"
    assert _versions() == before


def test_a_dunder_escape_in_a_script_is_refused_at_deploy(ctx_app, model_dir):
    bpmn = model_dir / "approval3.bpmn"
    bpmn.write_text(bpmn.read_text().replace(
        "threshold = 50", "threshold = ().__class__.__base__.__subclasses__()"))
    with pytest.raises(DefinitionInvalid) as info:
        _deploy(model_dir)
    assert any(p.element_id == "init" for p in info.value.problems)


def test_a_user_task_naming_a_missing_form_is_refused(ctx_app, model_dir):
    (model_dir / "form_amount.json").unlink()
    with pytest.raises(DefinitionInvalid) as info:
        _deploy(model_dir)
    assert any(p.element_id == "ut_amount" for p in info.value.problems)


def test_malformed_form_json_is_refused_naming_the_file(ctx_app, model_dir):
    (model_dir / "form_amount.json").write_text("{not json")
    with pytest.raises(DefinitionInvalid) as info:
        _deploy(model_dir)
    assert info.value.problems[0].file == "form_amount.json"


def test_only_process_owners_may_deploy(ctx_app, model_dir):
    handler = Actor(kind="staff", label="h", user_id=1, role="handler", org_id=1)
    with pytest.raises(NotAllowed):
        deploy_dirs(db.session, handler, clock.now(), model_dir, model_dir)


def test_a_case_process_user_task_without_due_rule_is_refused(ctx_app, tmp_path):
    from app.config import ROOT

    d = tmp_path / "lifecycle"
    shutil.copytree(ROOT / "bpmn", d)
    verification = d / "complaint_verification.bpmn"
    verification.write_text(verification.read_text().replace(
        '<spiffworkflow:property name="dueRule" value="10 workdays" />', ""))
    with pytest.raises(DefinitionInvalid) as info:
        with unit_of_work(db.session):
            deploy_dirs(db.session, SYSTEM, clock.now(), d, ROOT / "forms")
    assert [(p.element_id, p.code) for p in info.value.problems] == [("verify", "no-due-rule")]
