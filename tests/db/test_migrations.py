"""Migrations build the schema the models describe, on the database under test."""
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext

from app.db import Base, db


def test_upgraded_database_matches_models(app):
    with app.app_context():
        with db.engine.connect() as conn:
            diff = compare_metadata(MigrationContext.configure(conn, opts={"compare_type": True}), Base.metadata)
    assert diff == []


def test_migration_files_have_dated_names():
    from pathlib import Path

    versions = Path(__file__).resolve().parents[2] / "migrations" / "versions"
    names = [p.name for p in versions.glob("*.py")]
    assert names and all(n[:8].isdigit() and n[8] == "_" for n in names)
