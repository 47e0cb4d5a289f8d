"""The translation layer: Flask-Babel with Chinese source strings (the default UI language) and
English catalogs kept as plain .po fragments under app/web/translations/en/ (one per area).

Source strings are Simplified Chinese, so the default UI never shows an untranslated string;
the English switch looks each string up in the merged catalog. Fragments are read once per
process (no compiled .mo files in the repository); tests check every template string and
every `_()` in app/web has an English entry.
"""
from __future__ import annotations

import io
from functools import lru_cache
from pathlib import Path

from babel.messages.catalog import Catalog
from babel.messages.mofile import write_mo
from babel.messages.pofile import read_po
from babel.support import NullTranslations, Translations
from flask import Flask, g, request, session
from flask_babel import Babel, Domain, get_locale

TRANSLATIONS = Path(__file__).resolve().parent / "translations"
LOCALES = ("zh", "en")


@lru_cache(maxsize=None)
def catalog(locale: str) -> Catalog:
    """The merged catalog of every .po fragment for `locale` (empty for the source language)."""
    merged = Catalog(locale=locale, domain="messages")
    for path in sorted((TRANSLATIONS / locale).glob("*.po")):
        with path.open("rb") as fh:
            for message in read_po(fh, locale=locale):
                if message.id and message.string:
                    merged.add(message.id, message.string, context=message.context)
    return merged


@lru_cache(maxsize=None)
def _translations(locale: str) -> NullTranslations:
    if locale == "zh":
        return NullTranslations()
    buf = io.BytesIO()
    write_mo(buf, catalog(locale))
    buf.seek(0)
    return Translations(fp=buf, domain="messages")


class FragmentDomain(Domain):
    def get_translations(self):
        locale = get_locale()
        return _translations(locale.language if locale else "zh")


def current_locale() -> str:
    """'zh' or 'en' for this request: ?lang=, then the session choice, then the configured default."""
    cached = getattr(g, "_lvyue_locale", None)
    if cached:
        return cached
    choice = request.args.get("lang") or session.get("lang")
    if choice not in LOCALES:
        from flask import current_app

        choice = current_app.extensions["lvyue.settings"].default_locale
    g._lvyue_locale = choice
    return choice


def init_i18n(app: Flask) -> None:
    app.config.setdefault("BABEL_DEFAULT_LOCALE", app.extensions["lvyue.settings"].default_locale)
    app.config.setdefault("BABEL_DEFAULT_TIMEZONE", app.extensions["lvyue.settings"].timezone)
    babel = Babel()
    babel.init_app(app, locale_selector=current_locale,
                   timezone_selector=lambda: app.extensions["lvyue.settings"].timezone)
    babel.domain_instance = FragmentDomain()
