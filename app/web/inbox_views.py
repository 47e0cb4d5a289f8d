"""The handlers' inbox: the ready tasks of the user's org, least time left first, with tabs,
filters, search and keyset paging (queries.inbox)."""
from __future__ import annotations

from flask import Blueprint, render_template, request, url_for

from app import clock
from app.db import db
from app.errors import InvalidSubmission
from app.queries.inbox import TABS, inbox as inbox_page
from app.services.reference_cache import reference_data
from app.web.pages import current_actor, page
from app.web.staff_labels import REGIONS, channel_choices, region_label, register_staff_labels, stage_choices

inbox_bp = Blueprint("inbox", __name__)
inbox_bp.record_once(lambda state: register_staff_labels(state.app))

PAGE_SIZE = 50
FILTER_KEYS = ("stage", "channel", "region", "q")


def _filters() -> dict[str, str]:
    return {key: (request.args.get(key) or "").strip()[:100] for key in FILTER_KEYS}


def _region_choices() -> list[tuple[str, str]]:
    directory, _calendar = reference_data(db.session)
    present = {e.region_code for e in directory.by_id.values()}
    return [(code, region_label(code)) for code in REGIONS if code in present]


@page(inbox_bp, "/inbox")
def inbox():
    tab = request.args.get("tab", "all")
    tab = tab if tab in TABS else "all"
    filters = _filters()
    args = {k: v or None for k, v in filters.items()}
    after = request.args.get("after") or None
    try:
        result = inbox_page(db.session, current_actor(), clock.now(), tab=tab, limit=PAGE_SIZE, after=after, **args)
    except InvalidSubmission:  # a cursor that is not ours: start from the first page
        after = None
        result = inbox_page(db.session, current_actor(), clock.now(), tab=tab, limit=PAGE_SIZE, **args)
    kept = {k: v for k, v in filters.items() if v}
    next_url = url_for("inbox.inbox", tab=tab, after=result.next_after, **kept) if result.next_after else None
    return render_template(
        "inbox/inbox.html", result=result, tab=tab, filters=filters, kept=kept, paged=after is not None,
        next_url=next_url, first_url=url_for("inbox.inbox", tab=tab, **kept),
        stages=stage_choices(), channels=channel_choices(), regions=_region_choices(),
        here=request.full_path.rstrip("?"),
    )
