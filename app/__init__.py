"""Lüyue (履约): the composition root. No database access at import or creation."""
from __future__ import annotations

from pathlib import Path

from flask import Flask
from flask_migrate import Migrate

from app.config import ROOT, Settings
from app.db import db

migrate = Migrate()


def create_app(settings: Settings | None = None) -> Flask:
    settings = settings or Settings.from_env()
    Path(settings.instance_path).mkdir(parents=True, exist_ok=True)
    application = Flask(__name__, instance_path=settings.instance_path, instance_relative_config=False,
                        template_folder="web/templates", static_folder="web/static")
    application.config.update(
        SECRET_KEY=settings.secret_key,
        SQLALCHEMY_DATABASE_URI=settings.database_url,
        SQLALCHEMY_ENGINE_OPTIONS=_engine_options(settings),
        MAX_CONTENT_LENGTH=settings.max_upload_bytes + 200_000,  # API bodies; pages allow more (pages.page)
        JSON_AS_ASCII=False,
        TESTING=settings.testing,
        SESSION_COOKIE_HTTPONLY=True,
        SESSION_COOKIE_SAMESITE="Lax",
        WTF_CSRF_TIME_LIMIT=None,  # the token lives as long as the session: a long form never expires
    )
    application.extensions["lvyue.settings"] = settings
    application.json.ensure_ascii = False

    from app import models as _models  # noqa: F401  (register tables on the metadata)

    db.init_app(application)
    migrate.init_app(application, db, directory=str(ROOT / "migrations"), render_as_batch=True, compare_type=True)

    from app.db_events import install_sqlite_pragmas

    install_sqlite_pragmas(application, db)

    from app.web.api import api_bp
    from app.web.api_calendar import calendar_bp
    from app.web.api_models import models_bp
    from app.web.api_orgs import orgs_bp
    from app.web.api_supervision import supervision_bp
    from app.web.api_users import users_bp
    from app.web.errors import register_error_handlers
    from app.web.security_headers import register_security_headers

    application.register_blueprint(api_bp)
    application.register_blueprint(calendar_bp)
    application.register_blueprint(models_bp)
    application.register_blueprint(orgs_bp)
    application.register_blueprint(supervision_bp)
    application.register_blueprint(users_bp)

    from app.web.shell import init_web_shell

    init_web_shell(application, api_blueprints=(api_bp, calendar_bp, models_bp, orgs_bp, supervision_bp, users_bp))
    register_error_handlers(application)
    register_security_headers(application)

    from app.cli import register_cli

    register_cli(application)
    return application


def _engine_options(settings: Settings) -> dict:
    if settings.is_sqlite:
        return {"connect_args": {"timeout": 30}}
    return {"pool_pre_ping": True, "pool_size": 10, "max_overflow": 10}
