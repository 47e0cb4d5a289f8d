"""The admin's "load a year" form on the calendar page: what was typed, and field errors in the page
language for every bad line at once (the service stops at the first one and speaks English).

The format is the one `app.calendar.parse_override_lines` reads — one date or range per line,
then 休 (day off) or 班 (make-up working day), then an optional note:

    2027-01-01 休 元旦
    2027-02-05..2027-02-11 休 春节
    2027-02-13 班 春节调休

The parser stays the single judge of a line; this module only runs it line by line and, for a
line it refuses, asks it again about the date and the kind separately to say which part is wrong.
"""
from __future__ import annotations

import hashlib
import json
import re
from dataclasses import dataclass, field
from datetime import date
from typing import Mapping

from flask_babel import gettext as _

from app.calendar import MAX_RANGE_DAYS, parse_override_lines
from app.web.staff_labels import N_

MIN_YEAR, MAX_YEAR = 2000, 2100
MAX_DOC = 200  # calendar_years.source_doc / calendar_overrides.source_doc
MAX_NOTE = 200  # calendar_overrides.note
MAX_TEXT = 50_000
MAX_LINES = 1_000
MAX_LINE_ERRORS = 20

# The words the page documents (the parser also takes 放假/上班/holiday/workday and others). They are
# the input's syntax, not interface text, so they are the same in every language.
DAY_OFF, MAKE_UP_DAY = "休", "班"
EXAMPLE = (("2027-01-01", DAY_OFF, N_("元旦")), ("2027-02-05..2027-02-11", DAY_OFF, N_("春节")),
           ("2027-02-13", MAKE_UP_DAY, N_("春节调休")))
PLACEHOLDER = "\n".join(f"{days} {kind} …" for days, kind, _note in EXAMPLE)

_TOKENS = re.compile(r"^(\S+)[\s,，\t]+(\S+)(?:[\s,，\t]+(.*))?$")


@dataclass
class LoadForm:
    year_text: str = ""
    source_doc: str = ""
    text: str = ""
    digest: str = ""  # of the preview the admin confirmed (apply only)
    year: int | None = None
    errors: dict[str, list[str]] = field(default_factory=dict)

    @classmethod
    def from_request(cls, form: Mapping[str, str]) -> "LoadForm":
        return cls(year_text=(form.get("year") or "").strip(), source_doc=(form.get("source_doc") or "").strip(),
                   text=(form.get("text") or "").replace("\r\n", "\n").replace("\r", "\n"),
                   digest=(form.get("digest") or "").strip())

    def check(self) -> bool:
        """Fill `errors` (field -> messages) and `year`; True when the form may go to the service."""
        self.errors = {}
        self.year = _check_year(self.year_text, self.errors)
        if not self.source_doc:
            self.errors["source_doc"] = [_("请填写国务院办公厅通知的文号，例如“国办发明电〔2026〕X号”。")]
        elif len(self.source_doc) > MAX_DOC:
            self.errors["source_doc"] = [_("文号不能超过 %(n)s 个字。", n=MAX_DOC)]
        text_errors = check_lines(self.text, self.year)
        if text_errors:
            self.errors["text"] = text_errors
        return not self.errors

    def values(self) -> dict[str, str]:
        return {"year": self.year_text, "source_doc": self.source_doc, "text": self.text}


def _check_year(text: str, errors: dict[str, list[str]]) -> int | None:
    if not text:
        errors["year"] = [_("请填写年度。")]
        return None
    if not text.isdigit() or not MIN_YEAR <= int(text) <= MAX_YEAR:
        errors["year"] = [_("年度应为 %(a)s 至 %(b)s 之间的四位数字。", a=MIN_YEAR, b=MAX_YEAR)]
        return None
    return int(text)


def check_lines(text: str, year: int | None) -> list[str]:
    """Messages for every bad line of the pasted schedule (empty when all are good)."""
    if not text.strip():
        return [_("请粘贴该年度的放假和调休上班安排，每行一个日期或日期区间。")]
    if len(text) > MAX_TEXT or text.count("\n") >= MAX_LINES:
        return [_("内容过长：最多 %(n)s 行。", n=MAX_LINES)]
    problems: list[str] = []
    seen: dict[date, tuple[bool, int]] = {}
    listed = 0
    for lineno, raw in enumerate(text.split("\n"), start=1):
        line = raw.strip().lstrip("\ufeff")
        if not line or line.startswith("#"):
            continue
        listed += 1
        reason, rows = _line_problem(line, year)
        if reason is None:
            for day, is_workday, _note in rows:
                other = seen.get(day)
                if other is not None and other[0] != is_workday:
                    reason = _("%(day)s 与第 %(other)s 行的安排相反。", day=day.isoformat(), other=other[1])
                    break
                seen.setdefault(day, (is_workday, lineno))
        if reason is not None:
            problems.append(_("第 %(n)s 行“%(line)s”：%(reason)s", n=lineno, line=_clip(line), reason=reason))
    if not listed:
        return [_("请粘贴该年度的放假和调休上班安排，每行一个日期或日期区间。")]
    if len(problems) > MAX_LINE_ERRORS:
        rest = len(problems) - MAX_LINE_ERRORS
        problems = problems[:MAX_LINE_ERRORS] + [_("另有 %(n)s 行有误。", n=rest)]
    return problems


def _line_problem(line: str, year: int | None) -> tuple[str | None, list[tuple[date, bool, str]]]:
    """(what is wrong with one line or None, the rows it stands for)."""
    try:
        rows = parse_override_lines(line)
    except ValueError:
        return _diagnose(line), []
    if rows and len(rows[0][2]) > MAX_NOTE:
        return _("说明不能超过 %(n)s 个字。", n=MAX_NOTE), rows
    if year is not None:
        outside = [d for d, _w, _n in rows if d.year != year]
        if outside:
            return _("%(day)s 不在 %(year)s 年内。", day=outside[0].isoformat(), year=year), rows
    return None, rows


def _diagnose(line: str) -> str:
    """Which part of a refused line is wrong, asking the parser about each part alone."""
    m = _TOKENS.match(line)
    if not m:
        return _("应为“日期 休/班 说明（可省略）”，例如“2027-01-01 休 元旦”。")
    days, kind = m.group(1), m.group(2)
    try:
        first = parse_override_lines(f"{days} 休")[0][0]
    except ValueError:
        return _("日期“%(text)s”无效：应为真实存在的日期 YYYY-MM-DD，或不超过 %(n)s 天、由早到晚的区间 "
                 "YYYY-MM-DD..YYYY-MM-DD。", text=_clip(days), n=MAX_RANGE_DAYS)
    try:
        parse_override_lines(f"{first.isoformat()} {kind}")
    except ValueError:
        return _("“%(kind)s”无法识别：放假写“休”，调休上班写“班”。", kind=_clip(kind))
    return _("无法识别这一行。")


def _clip(text: str, limit: int = 40) -> str:
    return text if len(text) <= limit else text[:limit] + "…"


def preview_digest(year: int, source_doc: str, text: str, changes) -> str:
    """Fingerprint of a preview: the schedule and every deadline it moves (old and new due).
    Applying compares it with the fresh recomputation, so what is applied is what was shown."""
    def iso(value):
        return value.isoformat() if value else None

    payload = json.dumps({"year": year, "doc": source_doc, "text": text,
                          "changes": sorted([c.task_id, iso(c.old_due), iso(c.new_due)] for c in changes)},
                         ensure_ascii=False, separators=(",", ":"))
    return hashlib.sha256(payload.encode()).hexdigest()
