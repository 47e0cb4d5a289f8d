"""The browser workbench's shell: translations, sign-in sessions, CSRF on every form, the page
blueprints and the helpers every template uses."""
from __future__ import annotations

from flask import Flask, g, request
from flask_wtf.csrf import CSRFProtect

from app.web.i18n import current_locale, init_i18n
from app.web.pages import init_pages
from app.web.staff_labels import register_staff_labels
from app.web.template_helpers import register_template_helpers

csrf = CSRFProtect()


def init_web_shell(app: Flask, api_blueprints=()) -> None:
    init_i18n(app)
    init_pages(app)

    @app.before_request
    def _page_body_limit():
        """A page form may carry several files, each up to max_upload_bytes (each checked with a field
        error); the API keeps the one-file cap. Set before the CSRF check reads the form."""
        if request.method == "POST" and not request.path.startswith("/api/"):
            request.max_content_length = app.extensions["lvyue.settings"].max_upload_bytes * 20 + 1_000_000

    csrf.init_app(app)
    for bp in api_blueprints:  # the JSON API authenticates by bearer token, not by cookie
        csrf.exempt(bp)
    register_template_helpers(app)
    register_staff_labels(app)

    from app.web.auth_views import auth_bp

    app.register_blueprint(auth_bp)
    for bp in _page_blueprints():
        app.register_blueprint(bp)

    @app.context_processor
    def _shell_context():
        return {"locale": current_locale(), "web_user": g.get("web_user")}


def _page_blueprints():
    """Blueprints of the workbench areas, imported here so create_app stays short."""
    from app.web.calendar_views import calendar_admin_bp
    from app.web.case_views import cases_bp
    from app.web.desk_views import desk_bp
    from app.web.diagram_views import diagram_bp
    from app.web.form_editor_views import form_editor_bp
    from app.web.inbox_views import inbox_bp
    from app.web.intake_views import intake_bp
    from app.web.migration_views import migration_bp
    from app.web.model_list_views import model_pages_bp
    from app.web.modeler_views import modeler_bp
    from app.web.notification_views import notifications_bp
    from app.web.public_views import public_bp
    from app.web.supervision_views import supervise_bp
    from app.web.task_views import tasks_bp

    return [public_bp, inbox_bp, tasks_bp, cases_bp, diagram_bp, intake_bp, desk_bp, supervise_bp,
            notifications_bp, calendar_admin_bp, model_pages_bp, modeler_bp, form_editor_bp, migration_bp]
