"""Shared fixtures: a real database (SQLite file or PostgreSQL), migrated once per session,
demo directory + users + shipped models loaded once; per-test cleanup of case data."""
from __future__ import annotations

import os

import pytest
from sqlalchemy import create_engine, text

from app.config import ROOT, Settings

DATABASE = os.environ.get("LVYUE_TEST_DATABASE", "sqlite")
PG_URL = os.environ.get("LVYUE_TEST_POSTGRES_URL", "")
# kept across tests (seeded once per session); everything else is emptied after each test
KEEP_TABLES = {"orgs", "users", "api_tokens", "process_definitions", "alembic_version"}


def pytest_report_header(config):
    return f"lvyue test database: {DATABASE} {PG_URL if DATABASE == 'postgres' else ''}"


def _postgres_url() -> str:
    if not PG_URL:
        raise pytest.UsageError("LVYUE_TEST_DATABASE=postgres needs LVYUE_TEST_POSTGRES_URL")
    return PG_URL


def _reset_postgres(url: str) -> None:
    eng = create_engine(url.replace("postgresql://", "postgresql+psycopg://", 1))
    with eng.begin() as conn:
        conn.execute(text("DROP SCHEMA public CASCADE"))
        conn.execute(text("CREATE SCHEMA public"))
    eng.dispose()


@pytest.fixture(scope="session")
def settings(tmp_path_factory) -> Settings:
    instance = tmp_path_factory.mktemp("instance")
    if DATABASE == "postgres":
        url = _postgres_url()
        _reset_postgres(url)
    elif DATABASE == "sqlite":
        url = f"sqlite:///{instance / 'test.db'}"
    else:
        raise pytest.UsageError(f"unknown LVYUE_TEST_DATABASE {DATABASE!r}")
    s = Settings(database_url=url, instance_path=str(instance), secret_key="test-secret", testing=True)
    s.finish()
    return s


@pytest.fixture(scope="session")
def app(settings):
    from flask_migrate import upgrade

    from app import create_app

    application = create_app(settings)
    with application.app_context():
        upgrade()
    return application


@pytest.fixture(scope="session")
def demo(app):
    """Seed the directory and demo users and deploy the shipped models once; returns credentials."""
    from app import clock
    from app.db import db, unit_of_work
    from app.policy import Actor
    from app.services.demo_seed import seed_demo
    from app.services.deployment import deploy_dirs

    with app.app_context():
        with unit_of_work(db.session):
            creds = seed_demo(db.session, clock.now())
            deploy_dirs(db.session, Actor.system("tests"), clock.now(), ROOT / "bpmn", ROOT / "forms")
        db.session.remove()
    return creds


@pytest.fixture(autouse=True)
def _clean_case_data(request):
    yield
    if "app" not in request.fixturenames:
        return
    app = request.getfixturevalue("app")
    from app.db import Base, db

    with app.app_context():
        db.session.remove()
        tables = [t for t in reversed(Base.metadata.sorted_tables) if t.name not in KEEP_TABLES]
        with db.engine.begin() as conn:
            if conn.dialect.name == "postgresql":
                conn.execute(text("TRUNCATE " + ", ".join(t.name for t in tables) + " RESTART IDENTITY CASCADE"))
            else:
                for t in tables:
                    conn.execute(t.delete())


@pytest.fixture
def ctx_factory(app):
    """Build an EngineContext on the app's session at a given time (default now)."""
    from app import clock
    from app.db import db
    from app.services.engine_context import EngineContext

    def make(now=None):
        return EngineContext.load(db.session, now or clock.now())

    with app.app_context():
        yield make
        db.session.remove()


@pytest.fixture
def client(app, demo):
    return app.test_client()


def bearer(demo, username: str) -> dict:
    return {"Authorization": f"Bearer {demo[username]['api_token']}"}


@pytest.fixture
def auth(demo):
    return lambda username: bearer(demo, username)


