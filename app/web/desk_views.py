"""The supervisors' desk: live clocks of the region (with a self-refreshing table), the per-org
league table for a period (drill-down, charts, XLSX) and the cases needing attention.

Supervisors and admins only (others get 404); the region scope comes from the read side
(`queries.supervision`, `services.attention`): a county supervisor sees their county, the city all."""
from __future__ import annotations

from flask import Blueprint, Response, flash, redirect, render_template, request, url_for
from flask_babel import format_date
from flask_babel import gettext as _

from app import clock
from app.db import db
from app.errors import Conflict, NotFound
from app.policy import in_region
from app.queries.cases import case_by_no
from app.queries.supervision import METRICS, clock_board, league_table
from app.services import attention
from app.services.escalation import LADDER
from app.services.league_export import league_xlsx
from app.services.reference_cache import reference_data
from app.web.desk_attention import attention_count, attention_rows
from app.web.desk_league import COMPLETION_METRICS, clip_label, drill_down, league_view, nice_axis
from app.web.desk_period import Period, quarter_choices, read_period, year_choices
from app.web.pages import current_actor, engine_context, page, write_transaction
from app.web.staff_labels import (REGIONS, N_, channel_choices, escalation_label, org_label, region_label,
                                  register_staff_labels, signal_label, stage_choices, timer_label)

desk_bp = Blueprint("desk", __name__)
desk_bp.record_once(lambda state: register_staff_labels(state.app))

DESK_ROLES = ("supervisor", "admin")
REFRESH_SECONDS = 30
BOARD_LIMIT = 2000
SOON_WORKDAYS = 3
FILTER_KEYS = ("org", "region", "stage", "channel")
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


def level_label(level: int | None) -> str:
    """The highest automatic step of a task's escalation ladder, in words."""
    level = level or 0
    if level <= 0:
        return _("未预警")
    return escalation_label(LADDER[min(level, len(LADDER)) - 1])


def metric_label(metric: str) -> str:
    labels = {"received": N_("受理件数"), "completed": N_("办结环节所涉案件"), "on_time_original": N_("按原时限按期办结"),
              "late_original": N_("按原时限超时办结"), "on_time_extended": N_("按延期后时限按期办结"),
              "late_extended": N_("按延期后时限超时办结"), "overdue_now": N_("当前超期"), "extensions": N_("获批延期"),
              "returns": N_("退回"), "reopened": N_("发回重办")}
    return _(labels[metric]) if metric in labels else metric


def percent(rate: float | None) -> str:
    """0.5 -> '50.0%'; an empty rate (nothing to measure) -> '—'."""
    return "—" if rate is None else f"{rate * 100:.1f}%"


def failure_label(kind: str, name: str) -> str:
    if kind == "timer":
        return timer_label(name)
    return _("邮件通知") if name == "email" else signal_label(name)


@desk_bp.context_processor
def _desk_helpers():
    return {"level_label": level_label, "metric_label": metric_label, "failure_label": failure_label,
            "nice_axis": nice_axis, "clip_label": clip_label, "month_short": lambda day: format_date(day, "LLL"), "percent": percent}


def _nav_counts() -> dict[str, int]:
    return {"attention": attention_count(db.session, current_actor())}


# -- live board ------------------------------------------------------------------------------------

def _choices() -> dict[str, list[tuple[str, str]]]:
    """Filter choices within the supervisor's region."""
    actor = current_actor()
    directory, _calendar = reference_data(db.session)
    orgs = sorted((e for e in directory.by_id.values() if in_region(actor.region_code, e.region_code)),
                  key=lambda e: (e.region_code, e.code))
    return {"org": [(e.code, org_label(e.name)) for e in orgs],
            "region": [(c, region_label(c)) for c in REGIONS if in_region(actor.region_code, c)],
            "stage": stage_choices(), "channel": channel_choices()}


def _board_filters(choices) -> dict[str, str]:
    """The filters of the request, each only when it is one of its choices."""
    picked = {}
    for key in FILTER_KEYS:
        value = (request.args.get(key) or "").strip()
        if value and value in {code for code, _label in choices[key]}:
            picked[key] = value
    return picked


def _board(filters: dict[str, str]) -> dict:
    now = clock.now()
    rows = clock_board(db.session, current_actor(), now, limit=BOARD_LIMIT, **filters)
    for row in rows:
        days = row["workdays_left"]
        row["urgency"] = ("overdue" if row["overdue"] else
                          "due_soon" if days is not None and days < SOON_WORKDAYS else
                          "none" if row["provisional"] else "ok")
    counts = {"all": len(rows), "overdue": sum(r["overdue"] for r in rows),
              "due_soon": sum(r["urgency"] == "due_soon" for r in rows),
              "reminder": sum(r["escalation_level"] == 4 for r in rows),
              "supervision_order": sum(r["escalation_level"] >= 5 for r in rows),
              "provisional": sum(r["provisional"] for r in rows)}
    return {"rows": rows, "counts": counts, "updated_at": clock.local(now), "limit": BOARD_LIMIT,
            "refresh_seconds": REFRESH_SECONDS,
            "refresh_url": url_for("desk.board", **filters), "part_url": url_for("desk.board_part", **filters)}


@page(desk_bp, "/desk", roles=DESK_ROLES)
def board():
    choices = _choices()
    filters = _board_filters(choices)
    return render_template("desk/board.html", board=_board(filters), filters=filters, choices=choices,
                           refresh_seconds=REFRESH_SECONDS, nav_counts=_nav_counts())


@page(desk_bp, "/desk/board.part", roles=DESK_ROLES)
def board_part():
    """Only the board's table (same filters), for the page's auto-refresh."""
    filters = _board_filters(_choices())
    response = Response(render_template("desk/_board_table.html", board=_board(filters)))
    response.headers["Cache-Control"] = "no-store"
    return response


# -- league table ----------------------------------------------------------------------------------

def _today():
    return clock.local(clock.now()).date()


def _period_or_default():
    choice = read_period(request.args, _today())
    return choice, (422 if choice.errors else 200)


@page(desk_bp, "/desk/league", roles=DESK_ROLES)
def league():
    choice, status = _period_or_default()
    today = _today()
    period = choice.period
    view = league_view(db.session, current_actor(), clock.now(), period, today)
    shifts = {step: None if choice.errors else period.shifted(step) for step in (-1, 1)}
    if shifts[1] is not None and shifts[1].start > today:
        shifts[1] = None
    return render_template("desk/league.html", view=view, choice=choice, period=period, shifts=shifts,
                           quarters=quarter_choices(today), years=year_choices(today), today=today,
                           nav_counts=_nav_counts()), status


@page(desk_bp, "/desk/league/cases", roles=DESK_ROLES)
def league_cases_page():
    choice, status = _period_or_default()
    if choice.errors:
        raise NotFound("bad period")
    period: Period = choice.period
    directory, _calendar = reference_data(db.session)
    org_code, metric = request.args.get("org") or "", request.args.get("metric") or ""
    stage = (request.args.get("stage") or "").strip() or None
    entry = directory.by_code.get(org_code)
    if entry is None or metric not in METRICS or (stage is not None and metric not in COMPLETION_METRICS):
        raise NotFound("no such number")
    result = drill_down(db.session, current_actor(), clock.now(), period, org_code, metric, stage)
    return render_template("desk/league_cases.html", result=result, org=entry, metric=metric, stage=stage,
                           period=period, completion=metric in COMPLETION_METRICS, nav_counts=_nav_counts())


@page(desk_bp, "/desk/league.xlsx", roles=DESK_ROLES)
def league_export():
    choice, _status = _period_or_default()
    if choice.errors:
        raise NotFound("bad period")
    period = choice.period
    rows = league_table(db.session, current_actor(), clock.now(), period.start, period.end)
    name = f"league_{period.start.isoformat()}_{period.end.isoformat()}.xlsx"
    return Response(league_xlsx(rows, period.start, period.end), mimetype=XLSX,
                    headers={"Content-Disposition": f"attachment; filename={name}",
                             "Cache-Control": "private, no-store"})


# -- needs attention -------------------------------------------------------------------------------

@page(desk_bp, "/desk/attention", roles=DESK_ROLES)
def attention_list():
    actor = current_actor()
    rows = attention_rows(db.session, actor)
    directory, _calendar = reference_data(db.session)
    return render_template("desk/attention.html", rows=rows, directory=directory,
                           can_clear=actor.role == "supervisor", nav_counts={"attention": len(rows)})


@page(desk_bp, "/desk/attention/<case_no>/clear", methods=("POST",), roles=DESK_ROLES)
def clear_attention(case_no: str):
    note = (request.form.get("note") or "").strip()[:2000]
    try:
        with write_transaction():
            actor = current_actor()
            case = case_by_no(db.session, actor, case_no)
            attention.clear_attention(engine_context(), actor, case, note)
    except Conflict:
        flash(_("案件 %(case_no)s 已不在需关注列表中。", case_no=case_no), "info")
        return redirect(url_for("desk.attention_list"))
    flash(_("已将案件 %(case_no)s 移出需关注列表。", case_no=case_no), "success")
    return redirect(url_for("desk.attention_list"))

