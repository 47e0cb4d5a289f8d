"""The browser workbench's shell: translations, sign-in sessions, CSRF on every form, the page
blueprints and the helpers every template uses."""
from __future__ import annotations

from flask import Flask, g
from flask_wtf.csrf import CSRFProtect

from app.web.i18n import current_locale, init_i18n
from app.web.pages import init_pages
from app.web.template_helpers import register_template_helpers

csrf = CSRFProtect()


def init_web_shell(app: Flask, api_blueprints=()) -> None:
    init_i18n(app)
    init_pages(app)
    csrf.init_app(app)
    for bp in api_blueprints:  # the JSON API authenticates by bearer token, not by cookie
        csrf.exempt(bp)
    register_template_helpers(app)

    from app.web.auth_views import auth_bp

    app.register_blueprint(auth_bp)
    for bp in _page_blueprints():
        app.register_blueprint(bp)

    @app.context_processor
    def _shell_context():
        return {"locale": current_locale(), "web_user": g.get("web_user")}


def _page_blueprints():
    """Blueprints of the workbench areas, imported here so create_app stays short."""
    import importlib

    found = []
    for module_name, attr in (("app.web.public_views", "public_bp"), ("app.web.inbox_views", "inbox_bp"),
                              ("app.web.task_views", "tasks_bp"), ("app.web.case_views", "cases_bp"),
                              ("app.web.diagram_views", "diagram_bp"), ("app.web.home_views", "home_bp")):
        try:
            module = importlib.import_module(module_name)
        except ModuleNotFoundError as exc:
            if exc.name != module_name:
                raise
            continue
        found.append(getattr(module, attr))
    return found
