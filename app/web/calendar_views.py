"""The working-day calendar page: years covered, a year's holidays and make-up days (调休) with the
overrides' document numbers, and — for admins only — loading a year from a pasted list with a
preview of the open deadlines it moves before anything is written.

Also two helpers every staff page uses, registered app-wide from here:
- `calendar_banner()` (templates/shell/_banner.html): from 1 December, admins and supervisors see
  a warning while next year is not loaded, and an error while the current year is not covered.
  One small query per page for those two roles only (the cache token of the per-process calendar,
  `reference_cache.reference_data`), never a write, and any failure just hides the banner.
- `deadline_is_provisional(task)`: a task whose due date fell in a year the calendar does not
  cover has no `due_at` and `due_basis.provisional`; pages show it as 暂定 (macro
  calendar_admin/_provisional.html), never as a guessed date nor as "no deadline".
"""
from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import date, datetime

import chinese_calendar
from flask import Blueprint, flash, g, redirect, render_template, request, url_for
from flask_babel import gettext as _
from sqlalchemy import select

from app import clock
from app.calendar import WorkingCalendar, chinesecalendar_years, parse_override_lines
from app.db import db
from app.errors import InvalidSubmission
from app.models import Case, ReadyTask
from app.queries.calendar_view import calendar_status, year_overrides
from app.services.calendar_admin import YearLoaded, import_year
from app.services.reference_cache import reference_data
from app.web.calendar_load_form import EXAMPLE, MAX_YEAR, MIN_YEAR, PLACEHOLDER, LoadForm, preview_digest
from app.web.calendar_year_grid import (YearView, overrides_from_rows, overrides_from_schedule, year_view)
from app.web.i18n import current_locale
from app.web.pages import current_actor, engine_context, page, read_snapshot, write_transaction
from app.web.staff_labels import register_staff_labels

log = logging.getLogger(__name__)

calendar_admin_bp = Blueprint("calendar_admin", __name__)
calendar_admin_bp.record_once(lambda state: register_staff_labels(state.app))

VIEWERS = ("admin", "supervisor")  # see the page and the banner
LOADERS = ("admin",)  # load a year
PROVISIONAL_LIST_LIMIT = 50


def _today() -> date:
    return clock.local(clock.now()).date()


# -- the December banner ---------------------------------------------------------------------------

@dataclass(frozen=True)
class CoverageBanner:
    level: str  # "error": the current year is not covered; "warning": December and next year is not
    year: int  # the year to load


def coverage_banner(calendar: WorkingCalendar, role: str | None, today: date) -> CoverageBanner | None:
    """What the banner says to a user of `role` on `today` (None: nothing)."""
    if role not in VIEWERS:
        return None
    if not calendar.is_year_covered(today.year):
        return CoverageBanner("error", today.year)
    if today.month == 12 and not calendar.is_year_covered(today.year + 1):
        return CoverageBanner("warning", today.year + 1)
    return None


@calendar_admin_bp.app_template_global("calendar_banner")
def calendar_banner() -> CoverageBanner | None:
    """The banner for the signed-in user, once per request; None on any failure (logged)."""
    if "calendar_banner" in g:
        return g.calendar_banner
    banner = None
    actor = g.get("actor")
    role = getattr(actor, "role", None)
    if role in VIEWERS:
        try:
            _directory, calendar = reference_data(db.session)
            banner = coverage_banner(calendar, role, _today())
        except Exception:  # the banner never breaks a page
            log.warning("calendar banner not shown", exc_info=True)
            banner = None
    g.calendar_banner = banner
    return banner


# -- provisional deadlines -------------------------------------------------------------------------

@calendar_admin_bp.app_template_global("deadline_is_provisional")
def deadline_is_provisional(task) -> bool:
    """A ready task (or its due_basis dict) whose due date could not be computed because it would fall
    in a year the working-day calendar does not cover (services.workflow stores no due_at then)."""
    basis = task if isinstance(task, dict) else getattr(task, "due_basis", None)
    due_at = None if isinstance(task, dict) else getattr(task, "due_at", None)
    return due_at is None and isinstance(basis, dict) and bool(basis.get("provisional"))


# -- the page --------------------------------------------------------------------------------------

def _year_arg(value: str | None, default: int) -> int:
    if value and value.isdigit() and MIN_YEAR <= int(value) <= MAX_YEAR:
        return int(value)
    return default


def _first_uncovered(calendar: WorkingCalendar, today: date) -> int:
    year = today.year
    while calendar.is_year_covered(year) and year < MAX_YEAR:
        year += 1
    return year


@dataclass(frozen=True)
class ProvisionalRow:
    task_id: str
    task_name: str
    case_no: str | None
    org_id: int | None
    rule: str
    start: str  # ISO moment the deadline counts from


def _provisional_tasks(session) -> tuple[int, list[ProvisionalRow]]:
    """Open tasks whose deadline waits for the calendar (count, the first few by start)."""
    rows = session.execute(
        select(ReadyTask.id, ReadyTask.name, ReadyTask.org_id, ReadyTask.due_rule, ReadyTask.due_basis, Case.case_no)
        .outerjoin(Case, Case.id == ReadyTask.case_id)
        .where(ReadyTask.due_at.is_(None), ReadyTask.due_rule.is_not(None))
    ).all()
    found = [ProvisionalRow(r.id, r.name, r.case_no, r.org_id, r.due_rule or "", (r.due_basis or {}).get("start", ""))
             for r in rows if deadline_is_provisional(r.due_basis or {})]
    found.sort(key=lambda p: p.start)
    return len(found), found[:PROVISIONAL_LIST_LIMIT]


def _page_context(year: int) -> dict:
    session = db.session
    directory, calendar = reference_data(session)
    today = _today()
    status = calendar_status(session, today)
    cc = chinesecalendar_years()
    overrides = overrides_from_rows(year_overrides(session, year))
    view = year_view(calendar, year, overrides, english=current_locale() == "en")
    provisional_count, provisional = _provisional_tasks(session)
    shown = sorted(set(calendar.covered_years()) | {today.year, today.year + 1, year}, reverse=True)
    return {
        "today": today, "year": year, "view": view, "status": status, "calendar": calendar,
        "cc_first": cc.start, "cc_last": cc.stop - 1, "cc_version": getattr(chinese_calendar, "__version__", ""),
        "loaded": {row["year"]: row for row in status["loaded_years"]},
        "this_year_covered": calendar.is_year_covered(today.year),
        "next_year_covered": calendar.is_year_covered(today.year + 1),
        "year_choices": shown, "load_year": _first_uncovered(calendar, today),
        "provisional_count": provisional_count, "provisional": provisional, "directory": directory,
        "may_load": current_actor().role in LOADERS,
    }


@page(calendar_admin_bp, "/admin/calendar", roles=VIEWERS)
def calendar_page():
    year = _year_arg(request.args.get("year"), _today().year)
    return render_template("calendar_admin/calendar.html", **_page_context(year))


# -- loading a year (admins) -----------------------------------------------------------------------

@dataclass(frozen=True)
class MovedDeadline:
    task_id: str
    task_name: str
    case_no: str | None
    org_id: int | None
    old_due: datetime | None  # None: it was provisional
    new_due: datetime | None  # None: it stays provisional


@dataclass(frozen=True)
class Preview:
    year: int
    source_doc: str
    holidays: int  # days off listed (ranges counted per day)
    workdays: int  # make-up working days listed
    moved: list[MovedDeadline]
    still_provisional: list[MovedDeadline]
    digest: str
    view: YearView  # the year as the pasted schedule draws it
    replaces: dict | None  # the loaded year it replaces ({year, source_doc, loaded_at})
    chinesecalendar_year: bool  # the year is in chinesecalendar: the list overrides its days


class _Undo(Exception):
    """Raised inside the write transaction to roll the load back (a preview, or a stale confirmation)."""

    def __init__(self, result: YearLoaded):
        super().__init__("preview")
        self.result = result


def _describe(session, result: YearLoaded) -> tuple[list[MovedDeadline], list[MovedDeadline]]:
    ids = [c.task_id for c in result.changes]
    rows = {r.id: r for r in session.execute(
        select(ReadyTask.id, ReadyTask.name, Case.case_no).outerjoin(Case, Case.id == ReadyTask.case_id)
        .where(ReadyTask.id.in_(ids))).all()} if ids else {}
    moved, still = [], []
    for change in result.changes:
        row = rows.get(change.task_id)
        item = MovedDeadline(change.task_id, row.name if row else change.task, row.case_no if row else None,
                             change.org_id, clock.as_utc(change.old_due), clock.as_utc(change.new_due))
        (moved if item.old_due != item.new_due else still).append(item)
    moved.sort(key=lambda m: (m.new_due is None, m.new_due or m.old_due, m.case_no or ""))
    return moved, still


def _preview(form: LoadForm, result: YearLoaded) -> Preview:
    """Built on a read snapshot after the load was rolled back."""
    moved, still = _describe(db.session, result)
    schedule = overrides_from_schedule(parse_override_lines(form.text), form.source_doc)
    drawn = WorkingCalendar(overrides={d: o.is_workday for d, o in schedule.items()}, covered_years=[form.year])
    loaded = {row["year"]: row for row in calendar_status(db.session, _today())["loaded_years"]}
    return Preview(form.year, form.source_doc, result.holidays, result.workdays, moved, still,
                   preview_digest(form.year, form.source_doc, form.text, result.changes),
                   year_view(drawn, form.year, schedule, english=current_locale() == "en"),
                   loaded.get(form.year), form.year in chinesecalendar_years())


def _render_load(form: LoadForm, *, preview: Preview | None = None, stale: bool = False, status: int = 200):
    directory, _calendar = reference_data(db.session)
    return render_template("calendar_admin/load.html", form=form, values=form.values(), errors=form.errors,
                           preview=preview, stale=stale, directory=directory, today=_today(),
                           example=EXAMPLE, placeholder=PLACEHOLDER), status


@page(calendar_admin_bp, "/admin/calendar/load", methods=("GET", "POST"), roles=LOADERS, endpoint="load_year")
def load_year():
    if request.method == "GET":
        _directory, calendar = reference_data(db.session)
        year = _year_arg(request.args.get("year"), _first_uncovered(calendar, _today()))
        return _render_load(LoadForm(year_text=str(year)))
    form = LoadForm.from_request(request.form)
    applying = request.form.get("action") == "apply"
    if not form.check():
        with read_snapshot():
            return _render_load(form, status=422)
    try:
        with write_transaction():
            result = import_year(engine_context(), current_actor(), form.year, form.text, form.source_doc)
            if not applying or preview_digest(form.year, form.source_doc, form.text, result.changes) != form.digest:
                raise _Undo(result)
    except _Undo as undo:
        with read_snapshot():
            preview = _preview(form, undo.result)
            return _render_load(form, preview=preview, stale=applying, status=409 if applying else 200)
    except InvalidSubmission as exc:  # a check this page does not know about: shown, nothing stored
        form.errors = {key: [_("未能载入：%(reason)s", reason=m) for m in messages]
                       for key, messages in exc.errors.items()}
        with read_snapshot():
            return _render_load(form, status=422)
    moved = sum(1 for c in result.changes if c.old_due != c.new_due)
    flash(_("已载入 %(year)s 年节假日安排（%(doc)s）：调整了 %(n)s 个办理期限，已通知相关承办人。",
            year=form.year, doc=form.source_doc, n=moved), "success")
    return redirect(url_for("calendar_admin.calendar_page", year=form.year))
