"""Model-admin fixtures. Tests never deploy a modified `breach_complaint`: the lifecycle bundle is
deployed under its own root process id (`breach_complaint_v2test`) and intake is pointed at it for
the test, so other tests keep starting cases on the shipped model whatever the order."""
from __future__ import annotations

import io
import re
from pathlib import Path

import pytest
from sqlalchemy import func, select

from app.config import ROOT
from app.db import db
from app.models import ProcessDefinition

APPROVAL3 = Path(__file__).resolve().parents[1] / "fixtures" / "approval3"
APPROVAL_KEY = "Process_models_admin"
LIFECYCLE_KEY = "breach_complaint_v2test"


def approval_files() -> dict[str, bytes]:
    files = {p.name: p.read_bytes() for p in sorted(APPROVAL3.iterdir()) if p.is_file()}
    files["approval3.bpmn"] = files["approval3.bpmn"].replace(b'"Process_approval3"', f'"{APPROVAL_KEY}"'.encode())
    return files


def lifecycle_files(modified: bool = False) -> dict[str, bytes]:
    """The shipped lifecycle with its root process renamed; `modified`: a label and a dueRule changed."""
    files = {p.name: p.read_bytes() for p in sorted((ROOT / "bpmn").iterdir()) if p.suffix in (".bpmn", ".dmn")}
    files.update({p.name: p.read_bytes() for p in sorted((ROOT / "forms").glob("*.json"))})
    files["breach_complaint.bpmn"] = files["breach_complaint.bpmn"].replace(
        b'"breach_complaint"', f'"{LIFECYCLE_KEY}"'.encode())
    if modified:
        verification = files["complaint_verification.bpmn"].decode()
        files["complaint_verification.bpmn"] = verification.replace(
            'id="verify" name="核实投诉"', 'id="verify" name="核实投诉情况"').encode()
        rectification = files["complaint_rectification.bpmn"].decode()
        changed = re.sub(r'(<bpmn:userTask id="confirm_rectification".*?name="dueRule" value=")10 days"',
                         r'\g<1>12 days"', rectification, count=1, flags=re.S)
        assert changed != rectification and files["complaint_verification.bpmn"].decode() != verification
        files["complaint_rectification.bpmn"] = changed.encode()
    return files


def multipart(files: dict[str, bytes], **fields) -> dict:
    return {"files": [(io.BytesIO(data), name) for name, data in files.items()], **fields}


def definition_count() -> int:
    return db.session.execute(select(func.count(ProcessDefinition.id))).scalar_one()


@pytest.fixture
def ctx_app(app, demo):
    with app.app_context():
        yield
        db.session.remove()


@pytest.fixture
def post_files(client, auth):
    def post(path: str, files: dict[str, bytes], user: str = "owner", **fields):
        return client.post(f"/api/v1/models{path}", data=multipart(files, **fields), headers=auth(user),
                           content_type="multipart/form-data")
    return post
