"""The daily clean-up of the attachment store: files no attachment row refers to go once they are
older than the grace period; referenced, recent and re-used files stay."""
import hashlib
import os
from datetime import timedelta

import time_machine
from sqlalchemy import select

from app import clock
from app.db import db, unit_of_work
from app.models import Attachment, AuditEvent
from app.scheduler.attachment_cleanup import clean_attachment_store
from app.scheduler.job_env import JobEnv
from app.services import attachment_cleanup
from app.services.attachments import blob_path, write_blob
from tests.scheduler.conftest import T0

LATER = T0 + attachment_cleanup.GRACE + timedelta(hours=1)


def blob(store, content: bytes, *, age: timedelta | None = None):
    sha = hashlib.sha256(content).hexdigest()
    path = write_blob(store, sha, content)
    if age is not None:
        moment = (LATER - age).timestamp()
        os.utime(path, (moment, moment))
    return sha, path


def run_job(app):
    return clean_attachment_store(JobEnv(db.session, app.extensions["lvyue.settings"]))


def test_unreferenced_old_files_go_and_everything_else_stays(sched, settings, monkeypatch, tmp_path, make_case):
    monkeypatch.setattr(settings, "attachments_path", str(tmp_path))
    old = attachment_cleanup.GRACE + timedelta(hours=2)
    _, orphan = blob(tmp_path, b"rolled back upload", age=old)
    kept_sha, kept = blob(tmp_path, b"attached to a case", age=old)
    _, fresh = blob(tmp_path, b"kept for an error page an hour ago", age=timedelta(hours=1))
    temp = orphan.parent / ".upload-abandoned"
    temp.write_bytes(b"half")
    os.utime(temp, ((LATER - old).timestamp(),) * 2)
    with unit_of_work(db.session):
        case = make_case()
        db.session.add(Attachment(case_id=case.id, filename="合同.pdf", content_type="application/pdf", size=18,
                                  sha256=kept_sha, uploaded_at=clock.now(), uploaded_by_label="张三"))
    with time_machine.travel(LATER, tick=False):
        assert run_job(sched) == 2
        assert run_job(sched) == 0  # once a day
    assert not orphan.exists() and not temp.exists()
    assert kept.exists() and fresh.exists()
    detail = db.session.execute(select(AuditEvent.detail).where(AuditEvent.action == "attachment_files_removed")
                                ).scalar_one()
    assert detail["files"] == 2


def test_uploading_the_same_content_again_keeps_the_file(sched, tmp_path):
    sha, path = blob(tmp_path, b"uploaded again today", age=timedelta(days=30))
    with time_machine.travel(LATER, tick=False):
        write_blob(tmp_path, sha, b"uploaded again today")  # touches the existing copy
        assert attachment_cleanup.remove_unreferenced(db.session, tmp_path, clock.now()) == 0
    assert path.exists() and blob_path(tmp_path, sha) == path


def test_a_file_used_while_it_is_being_removed_is_put_back(tmp_path):
    sha, path = blob(tmp_path, b"raced", age=None)  # mtime now: newer than the cut-off it was listed under
    cutoff = (clock.now() - timedelta(days=3)).timestamp()
    assert attachment_cleanup._remove_unless_touched(path, cutoff) is False
    assert path.read_bytes() == b"raced"
    assert not list(path.parent.glob(".trash-*"))
