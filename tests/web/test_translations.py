"""Every user-visible string of the workbench goes through the translation layer and has English."""
from __future__ import annotations

import re
from pathlib import Path

from babel.messages.extract import extract_from_dir

from app.web.i18n import catalog

WEB = Path(__file__).resolve().parents[2] / "app" / "web"
METHODS = [("**/templates/**.html", "jinja2"), ("**.py", "python")]
OPTIONS = {"**/templates/**.html": {"extensions": "jinja2.ext.i18n", "trimmed": "false"}}
CJK = re.compile(r"[\u4e00-\u9fff]")


def _source_strings() -> dict[str, str]:
    found = {}
    for filename, _lineno, message, _comments, _context in extract_from_dir(
            str(WEB), METHODS, options_map=OPTIONS, keywords={"_": None, "N_": None, "gettext": None, "lazy_gettext": None}):
        text = message if isinstance(message, str) else message[0]
        if text:
            found.setdefault(text, filename)
    return found


def test_every_page_string_has_an_english_translation():
    english = catalog("en")
    missing = {text: where for text, where in _source_strings().items() if CJK.search(text) and not english.get(text)}
    assert not missing, "no English for: " + "; ".join(f"{t!r} ({w})" for t, w in sorted(missing.items())[:40])


def test_english_fragments_are_valid_and_not_duplicated():
    from babel.messages.pofile import read_po

    seen: dict[str, str] = {}
    for path in sorted((WEB / "translations" / "en").glob("*.po")):
        with path.open("rb") as fh:
            for message in read_po(fh):
                if not message.id:
                    continue
                assert message.string, f"{path.name}: empty translation for {message.id!r}"
                other = seen.get(message.id)
                assert other is None or other == message.string, (
                    f"{message.id!r} translated differently in two fragments: {other!r} / {message.string!r}")
                seen[message.id] = message.string


def _exempt(line: str) -> bool:
    """A language's own name (lang="zh-CN") and decorative glyphs (aria-hidden) stay as they are."""
    return 'lang="zh-CN"' in line or 'aria-hidden="true"' in line


def test_templates_have_no_untranslated_chinese_text():
    """Chinese text in a template outside _() would never switch to English."""
    offenders = []
    tag = re.compile(r"{{.*?}}|{%.*?%}|{#.*?#}", re.S)
    for path in (WEB / "templates").rglob("*.html"):
        text = tag.sub("", path.read_text(encoding="utf-8"))
        for line_no, line in enumerate(text.splitlines(), 1):
            if CJK.search(line) and not _exempt(line):
                offenders.append(f"{path.relative_to(WEB)}:{line_no}: {line.strip()[:60]}")
    assert not offenders, "\n".join(offenders[:30])


def test_every_directory_org_of_the_demo_has_an_english_name():
    from app.services.demo_seed import ORGS

    english = catalog("en")
    assert all(english.get(row[1]) for row in ORGS), [row[1] for row in ORGS if not english.get(row[1])]
