"""The flask lvyue commands."""
import json
from pathlib import Path

from app.db import db
from app.services.accounts import user_for_token

APPROVAL3 = Path(__file__).resolve().parents[1] / "fixtures" / "approval3"


def test_seed_demo_is_idempotent_and_keeps_credentials_file(app, demo):
    runner = app.test_cli_runner()
    result = runner.invoke(args=["lvyue", "seed-demo"])
    assert result.exit_code == 0, result.output
    assert "0 demo users created" in result.output
    path = Path(app.extensions["lvyue.settings"].instance_path) / "demo-credentials.json"
    assert path.exists()


def test_deploy_reports_unchanged_models(app, demo):
    runner = app.test_cli_runner()
    result = runner.invoke(args=["lvyue", "deploy"])
    assert result.exit_code == 0, result.output
    assert "breach_complaint v" in result.output and "unchanged" in result.output


def test_deploy_of_a_broken_folder_lists_problems_and_deploys_nothing(app, demo, tmp_path):
    (tmp_path / "bad.bpmn").write_text("<not-closed")
    result = app.test_cli_runner().invoke(args=["lvyue", "deploy", "--bpmn", str(tmp_path), "--forms", str(tmp_path)])
    assert result.exit_code != 0
    assert "bad.bpmn" in result.output and "nothing deployed" in result.output


def test_users_create_and_token(app, demo):
    runner = app.test_cli_runner()
    created = runner.invoke(args=["lvyue", "users", "create", "clerk1", "--role", "handler", "--org", "HY-GOV",
                                  "--password", "long-enough-pw"])
    assert created.exit_code == 0, created.output
    token = runner.invoke(args=["lvyue", "users", "token", "clerk1"]).output.strip()
    with app.app_context():
        assert user_for_token(db.session, token).username == "clerk1"
        db.session.remove()


def test_users_create_refuses_an_unknown_org(app, demo):
    result = app.test_cli_runner().invoke(args=["lvyue", "users", "create", "clerk2", "--role", "handler",
                                                "--org", "NOPE", "--password", "long-enough-pw"])
    assert result.exit_code != 0 and "org_code" in result.output


def test_audit_verify_detects_tampering(app, client, auth):
    from tests.lifecycle_paths import SAMPLE_COMPLAINT
    from app.models import AuditEvent

    client.post("/api/v1/complaints", json=SAMPLE_COMPLAINT, headers=auth("intake_12345"))
    runner = app.test_cli_runner()
    assert "audit chains ok" in runner.invoke(args=["lvyue", "audit", "verify"]).output
    with app.app_context():
        ev = db.session.execute(db.select(AuditEvent).order_by(AuditEvent.id)).scalars().first()
        ev.detail = {**ev.detail, "case_no": "FORGED"}
        db.session.commit()
        db.session.remove()
    result = runner.invoke(args=["lvyue", "audit", "verify"])
    assert result.exit_code != 0 and "broken at seq 1" in result.output and "case:" in result.output


def test_bootstrap_on_a_fresh_instance_migrates_deploys_and_writes_credentials(tmp_path):
    """What `make run` does on first start (on its embedded default, SQLite)."""
    from app import create_app
    from app.config import Settings

    settings = Settings(database_url=f"sqlite:///{tmp_path / 'fresh.db'}", instance_path=str(tmp_path),
                        secret_key="x", testing=True)
    settings.finish()
    fresh = create_app(settings)
    result = fresh.test_cli_runner().invoke(args=["lvyue", "bootstrap"])
    assert result.exit_code == 0, result.output
    assert "breach_complaint v1 deployed" in result.output
    creds = json.loads((tmp_path / "demo-credentials.json").read_text())
    assert creds["handler_hygov"]["role"] == "handler" and creds["handler_hygov"]["org_code"] == "HY-GOV"
    assert set(creds["owner"]) == {"password", "api_token", "role", "org_code"}
    second = fresh.test_cli_runner().invoke(args=["lvyue", "bootstrap"])
    assert second.exit_code == 0 and "unchanged" in second.output


def test_calendar_import_covers_a_new_year(app, demo, tmp_path):
    schedule = tmp_path / "2027.txt"
    schedule.write_text("# 2027 schedule (test data)\n2027-01-01 holiday 元旦\n2027-02-05..2027-02-11 holiday 春节\n"
                        "2027-02-13 workday 春节调休\n", encoding="utf-8")
    runner = app.test_cli_runner()
    result = runner.invoke(args=["lvyue", "calendar", "import", "2027", str(schedule), "--doc", "国办发明电〔2026〕X号"])
    assert result.exit_code == 0, result.output
    assert "8 holidays, 1 make-up workdays" in result.output
    assert "2027" in runner.invoke(args=["lvyue", "calendar", "status"]).output


def test_calendar_import_reports_the_bad_line(app, demo, tmp_path):
    schedule = tmp_path / "bad.txt"
    schedule.write_text("2027-01-01 holiday\n2027-13-01 holiday\n", encoding="utf-8")
    result = app.test_cli_runner().invoke(args=["lvyue", "calendar", "import", "2027", str(schedule), "--doc", "X"])
    assert result.exit_code != 0 and "line 2" in result.output
