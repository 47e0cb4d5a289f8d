"""Upgrading a database that already holds data keeps it (0001 → head), with backfills."""
from sqlalchemy import text


def test_upgrade_from_the_initial_schema_keeps_rows_and_backfills_case_links(tmp_path):
    from flask_migrate import upgrade

    from app import create_app
    from app.config import Settings
    from app.db import db

    settings = Settings(database_url=f"sqlite:///{tmp_path / 'old.db'}", instance_path=str(tmp_path),
                        secret_key="x", testing=True)
    settings.finish()
    app = create_app(settings)
    with app.app_context():
        upgrade(revision="0001")
        with db.engine.begin() as conn:
            conn.execute(text("INSERT INTO orgs (id, code, name, kind, level, region_code, is_credit_office, "
                              "accepts_complaints, active) VALUES (1, 'X', 'x', 'agency', 'city', '340300', 0, 0, 1)"))
            conn.execute(text("INSERT INTO process_definitions (id, key, name, version, sha256, files, spec_json, "
                              "has_lanes, deployed_at, change_note) VALUES (1, 'k', 'k', 1, 'h', '{}', '{}', 1, "
                              "'2026-01-01 00:00:00', '')"))
            conn.execute(text("INSERT INTO process_instances (id, definition_id, status, state_json, serializer_version,"
                              " data, lock_version, started_at, updated_at) VALUES (7, 1, 'running', '{}', '1.5', '{}',"
                              " 1, '2026-01-01 00:00:00', '2026-01-01 00:00:00')"))
            conn.execute(text(
                "INSERT INTO cases (id, case_no, query_code_hash, status, stage, channel, dedupe_key, complainant_kind, "
                "complainant_name, contact_name, contact_phone, respondent_org_id, accepting_org_id, region_code, "
                "contract_title, scope_area, facts, demands, submission, instance_id, received_at) VALUES (3, "
                "'BB-2026-000001', 'h', 'open', 'intake', 'offline', 'd', 'sme', 'n', 'c', 'p', 1, 1, '340300', 't', "
                "'other', 'f', '', '{}', 7, '2026-01-01 00:00:00')"))
            conn.execute(text("INSERT INTO audit_head (id, seq, last_hash) VALUES (1, 4, 'abc')"))
        upgrade()
        with db.engine.connect() as conn:
            assert conn.execute(text("SELECT chain, seq, last_hash FROM audit_chains")).one() == ("global", 4, "abc")
            assert conn.execute(text("SELECT case_id FROM process_instances WHERE id = 7")).scalar_one() == 3
            assert conn.execute(text("SELECT needs_attention FROM cases WHERE id = 3")).scalar_one() in (0, False)
            assert conn.execute(text("SELECT case_no FROM cases")).scalar_one() == "BB-2026-000001"
        db.session.remove()
