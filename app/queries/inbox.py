"""Read side of the handlers' inbox: the ready tasks the actor's org must act on, least time left first.

Scope is exactly `queries.tasks.tasks_for`: ready tasks of the actor's role in the actor's org
(process owners see the lane-less `process_owner` tasks). One call runs a constant number of
statements whatever the page size: the reference-data token check, then either the page of rows
(joined to the case, the respondent org and the claiming user) and the per-tab counts (one
aggregate), or, when a case filter or search narrows the inbox, both in one statement that reads
the matching tasks once. Working days left and urgency: `queries.time_left`.
"""
from __future__ import annotations

import base64
import binascii
import json
import re
from dataclasses import dataclass, field
from datetime import datetime

from sqlalchemy import and_, case, false, func, literal_column, or_, select, true, tuple_, union_all
from sqlalchemy.orm import Session, aliased

from app import clock
from app.errors import InvalidSubmission
from app.models import Case, Org, ReadyTask, User
from app.policy import Actor
from app.queries.time_left import DUE_SOON_WORKDAYS, URGENCIES, days_left, due_soon_limit, urgency
from app.services.reference_cache import reference_data

__all__ = ["DUE_SOON_WORKDAYS", "TABS", "URGENCIES", "InboxPage", "InboxRow", "due_soon_limit", "inbox"]

TABS = ("all", "mine", "unclaimed", "due_soon", "overdue")
MAX_LIMIT = 200


@dataclass(frozen=True)
class InboxRow:
    task_id: str
    task_name: str
    task_spec: str
    stage: str
    due_at: datetime | None  # aware UTC; `due_local` for display
    days_left: int | None  # working days; negative once overdue; None: no due date or calendar not covered
    calendar_not_covered: bool  # the due date is known but the calendar cannot count the days to it
    urgency: str  # "ok" | "due_soon" | "overdue"
    case_no: str | None
    complainant_name: str | None
    contract_title: str | None
    contract_no: str | None
    channel: str | None
    region_code: str | None
    respondent_name: str | None
    claimed_by: str | None  # display name of the user who claimed the task
    claimed_by_me: bool
    escalation_level: int
    created_at: datetime
    provisional: bool = False  # no due date yet: it would fall in a year the calendar does not cover

    @property
    def due_local(self) -> datetime | None:
        return clock.local(self.due_at) if self.due_at else None

    @property
    def created_local(self) -> datetime:
        return clock.local(self.created_at)


@dataclass(frozen=True)
class InboxPage:
    rows: list[InboxRow]
    counts: dict[str, int]  # per tab (TABS), same filters, tab ignored
    next_after: str | None  # keyset cursor for the next page; None on the last page
    tab: str = "all"
    calendar_not_covered: bool = False  # "due soon" could not look the full span ahead
    filters: dict = field(default_factory=dict)


# -- keyset cursor ---------------------------------------------------------------------------------

def encode_cursor(due_at: datetime | None, created_at: datetime, task_id: str) -> str:
    raw = json.dumps([due_at.isoformat() if due_at else None, created_at.isoformat(), task_id],
                     separators=(",", ":"))
    return base64.urlsafe_b64encode(raw.encode()).decode().rstrip("=")


def decode_cursor(cursor: str) -> tuple[datetime | None, datetime, str]:
    try:
        raw = base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4))
        due, created, task_id = json.loads(raw)
        due_at = clock.as_utc(datetime.fromisoformat(due)) if due is not None else None
        created_at = clock.as_utc(datetime.fromisoformat(created))
        if not isinstance(task_id, str):
            raise TypeError(task_id)
    except (ValueError, TypeError, binascii.Error, UnicodeDecodeError):
        raise InvalidSubmission({"after": ["not a page cursor"]}) from None
    return due_at, created_at, task_id


def _after(position, cols) -> tuple:
    """Keyset conditions (on rows with a due date, on rows without) after `position`; rows without a
    due date come last. None: no condition."""
    if position is None:
        return None, None
    due, created, task_id = position
    if due is None:
        return false(), tuple_(cols.created_at, cols.id) > tuple_(created, task_id)
    return tuple_(cols.due_at, cols.created_at, cols.id) > tuple_(due, created, task_id), None


# -- filters ---------------------------------------------------------------------------------------

def _scope(actor: Actor):
    """Exactly tasks_for: the actor's role in the actor's org; process owners: lane-less tasks."""
    if actor.role == "process_owner":
        return ReadyTask.role == "process_owner"
    return and_(ReadyTask.role == actor.role, ReadyTask.org_id == actor.org_id)


# BB-2026-000123 (intake numbers cases <prefix>-<year>-<6 digits>); a query of this shape, whole or
# cut short after the year, searches case numbers only, through the unique index on case_no
CASE_NO_SHAPE = re.compile(r"^[A-Za-z]{2}-\d{4}-\d{0,6}$")
CASE_NO_DIGITS = 6


def _case_no_prefix(prefix: str):
    """case_no starts with prefix, as an index range: the numbers share one shape, so the prefix
    padded with 0s and with 9s bounds them under any collation (the LIKE keeps it exact)."""
    missing = CASE_NO_DIGITS - len(prefix.rsplit("-", 1)[1])
    return and_(Case.case_no.between(prefix + "0" * missing, prefix + "9" * missing),
                Case.case_no.startswith(prefix, autoescape=True))


def _text(value: str | None) -> str | None:
    value = (value or "").strip()
    return value[:100] or None


def _forms(text: str) -> list[str]:
    """The text as typed, in capitals and in small letters (one form for Chinese or digits)."""
    return list(dict.fromkeys((text, text.upper(), text.lower())))


def _contains(column, text: str):
    """Substring match that ignores the case of the common forms (HYZJ, hyzj) with plain LIKEs: an
    ILIKE costs PostgreSQL several times more on every scanned row."""
    return or_(*(column.contains(form, autoescape=True) for form in _forms(text)))


def _starts(column, text: str):
    return or_(*(column.startswith(form, autoescape=True) for form in _forms(text)))


def _case_match(channel, region, q, enterprise, contract):
    """Filters on the task's case as one semi-join: the ids of matching OPEN cases (a case with ready
    tasks is open: they are removed in the transaction that closes it). The subquery reads the
    partial covering index ix_cases_open_search only, never the cases table."""
    conditions = []
    if channel:
        conditions.append(Case.channel == channel)
    if region:
        conditions.append(Case.region_code == region)
    if q and CASE_NO_SHAPE.match(q):
        conditions.append(_case_no_prefix(q.upper()))
    elif q:
        conditions.append(or_(_starts(Case.case_no, q), _contains(Case.complainant_name, q),
                              _contains(Case.contract_no, q), _contains(Case.contract_title, q)))
    if enterprise:
        conditions.append(_contains(Case.complainant_name, enterprise))
    if contract:
        conditions.append(or_(_contains(Case.contract_no, contract), _contains(Case.contract_title, contract)))
    if not conditions:
        return None
    # a literal, so that SQLite sees that the partial index's WHERE holds
    return ReadyTask.case_id.in_(select(Case.id).where(Case.status == literal_column("'open'"), *conditions))


def _tab_condition(tab: str, actor: Actor, now: datetime, soon: datetime, cols):
    if tab == "mine":
        return cols.claimed_by_id == actor.user_id if actor.user_id is not None else false()
    if tab == "unclaimed":
        return cols.claimed_by_id.is_(None)
    if tab == "due_soon":
        return and_(cols.due_at >= now, cols.due_at < soon)
    if tab == "overdue":
        return cols.due_at < now
    return None


def _count_columns(actor: Actor, now: datetime, soon: datetime, cols) -> list:
    """One aggregate per tab, in TABS order."""
    return [func.count().label("n_all")] + [
        func.count(case((_tab_condition(tab, actor, now, soon, cols), 1))).label(f"n_{tab}") for tab in TABS[1:]]


# -- the inbox -------------------------------------------------------------------------------------

def inbox(session: Session, actor: Actor, now: datetime, *, tab: str = "all", stage: str | None = None,
          channel: str | None = None, region: str | None = None, q: str | None = None,
          enterprise: str | None = None, contract: str | None = None, limit: int = 50,
          after: str | None = None) -> InboxPage:
    """One page of the actor's inbox plus the count of every tab under the same filters.

    q searches the case number (exact or prefix), the enterprise (complainant) name and the
    contract number or title; `enterprise` and `contract` narrow by one of those alone."""
    if tab not in TABS:
        raise InvalidSubmission({"tab": [f"one of {', '.join(TABS)}"]})
    stage, channel, region = _text(stage), _text(channel), _text(region)
    q, enterprise, contract = _text(q), _text(enterprise), _text(contract)
    filters = {k: v for k, v in (("stage", stage), ("channel", channel), ("region", region), ("q", q),
                                 ("enterprise", enterprise), ("contract", contract)) if v}
    limit = max(1, min(int(limit), MAX_LIMIT))
    position = decode_cursor(after) if after else None
    if not actor.is_staff or not actor.role:
        return InboxPage([], {t: 0 for t in TABS}, None, tab, False, filters)

    _directory, calendar = reference_data(session)
    soon, not_covered = due_soon_limit(calendar, now)
    conditions = [_scope(actor)]
    if stage:
        conditions.append(ReadyTask.stage == stage)
    case_match = _case_match(channel, region, q, enterprise, contract)
    if case_match is None:
        rows = _rows(session, actor, now, soon, conditions, tab, position, limit)
        counts = _counts(session, actor, now, soon, conditions)
    else:
        rows, counts = _rows_and_counts(session, actor, now, soon, conditions + [case_match], tab, position, limit)

    more = len(rows) > limit
    page_rows = []
    for r in rows[:limit]:
        due = clock.as_utc(r.due_at)
        left, uncovered = days_left(calendar, now, due)
        page_rows.append(InboxRow(
            task_id=r.id, task_name=r.name, task_spec=r.spec_id, stage=r.stage, due_at=due, days_left=left,
            calendar_not_covered=uncovered, urgency=urgency(due, now, soon), case_no=r.case_no,
            complainant_name=r.complainant_name, contract_title=r.contract_title, contract_no=r.contract_no,
            channel=r.channel, region_code=r.region_code, respondent_name=r.respondent_name,
            claimed_by=r.claimed_by, claimed_by_me=r.claimed_by_id is not None and r.claimed_by_id == actor.user_id,
            escalation_level=r.escalation_level or 0, created_at=clock.as_utc(r.created_at),
            provisional=due is None and bool((r.due_basis or {}).get("provisional")),
        ))
    next_after = None
    if more and page_rows:
        last = page_rows[-1]
        next_after = encode_cursor(last.due_at, last.created_at, last.task_id)
    return InboxPage(page_rows, counts, next_after, tab, not_covered, filters)


def _display(keys, *extra, select_from=None):
    """The page's tasks for display: keys (id, due_at, created_at) joined to the task, its case, the
    respondent org and the claiming user, in page order."""
    respondent = aliased(Org)
    return (
        select(ReadyTask.id, ReadyTask.name, ReadyTask.spec_id, ReadyTask.stage, ReadyTask.due_at,
               ReadyTask.created_at, ReadyTask.claimed_by_id, ReadyTask.escalation_level, ReadyTask.due_basis,
               Case.case_no, Case.complainant_name, Case.contract_title, Case.contract_no, Case.channel,
               Case.region_code, respondent.name.label("respondent_name"), User.display_name.label("claimed_by"),
               *extra)
        .select_from(select_from if select_from is not None else keys)
        .outerjoin(ReadyTask, ReadyTask.id == keys.c.id)
        .outerjoin(Case, Case.id == ReadyTask.case_id)
        .outerjoin(respondent, respondent.id == Case.respondent_org_id)
        .outerjoin(User, User.id == ReadyTask.claimed_by_id)
        .order_by(keys.c.due_at.is_(None), keys.c.due_at, keys.c.created_at, keys.c.id)
    )


def _half(conditions: list, dated: bool, after, limit: int):
    """The first `limit` keys with (dated) or without a due date, read in the inbox index's order and
    stopped at `limit`: a page never sorts the org's whole list (an index keeps NULLs first on
    SQLite and last on PostgreSQL, hence two halves)."""
    query = select(ReadyTask.id, ReadyTask.due_at, ReadyTask.created_at).where(*conditions)
    if after is not None:
        query = query.where(after)
    if dated:
        query = query.where(ReadyTask.due_at.is_not(None)).order_by(ReadyTask.due_at, ReadyTask.created_at,
                                                                     ReadyTask.id)
    else:
        query = query.where(ReadyTask.due_at.is_(None)).order_by(ReadyTask.created_at, ReadyTask.id)
    return select(query.limit(limit).subquery())


def _rows(session: Session, actor: Actor, now: datetime, soon: datetime, conditions: list, tab: str, position,
          limit: int):
    tab_condition = _tab_condition(tab, actor, now, soon, ReadyTask)
    if tab_condition is not None:
        conditions = conditions + [tab_condition]
    after_dated, after_undated = _after(position, ReadyTask)
    keys = union_all(_half(conditions, True, after_dated, limit + 1),
                     _half(conditions, False, after_undated, limit + 1)).subquery("page")
    return session.execute(_display(keys).limit(limit + 1)).all()


def _counts(session: Session, actor: Actor, now: datetime, soon: datetime, conditions: list) -> dict[str, int]:
    """Every tab's count in one aggregate over the inbox index (the tab is not a condition here)."""
    values = session.execute(select(*_count_columns(actor, now, soon, ReadyTask)).where(*conditions)).one()
    return dict(zip(TABS, (int(v or 0) for v in values)))


def _rows_and_counts(session: Session, actor: Actor, now: datetime, soon: datetime, conditions: list, tab: str,
                     position, limit: int) -> tuple[list, dict[str, int]]:
    """With a case filter or search: the matching tasks are read once (a CTE used twice is
    materialised by both databases), counted per tab, and the page is cut from them. Every result
    row carries the counts; an empty page is one row without a task."""
    matched = select(ReadyTask.id, ReadyTask.due_at, ReadyTask.created_at, ReadyTask.claimed_by_id) \
        .where(*conditions).cte("matched")
    m = matched.c
    tally = select(*_count_columns(actor, now, soon, m)).subquery("tally")
    page = select(m.id, m.due_at, m.created_at)
    tab_condition = _tab_condition(tab, actor, now, soon, m)
    if tab_condition is not None:
        page = page.where(tab_condition)
    after_dated, after_undated = _after(position, m)
    if position is not None:
        page = page.where(or_(and_(m.due_at.is_not(None), after_dated if after_dated is not None else true()),
                              and_(m.due_at.is_(None), after_undated if after_undated is not None else true())))
    page = page.order_by(m.due_at.is_(None), m.due_at, m.created_at, m.id).limit(limit + 1).subquery("page")
    tallies = [tally.c[f"n_{tab}"] for tab in TABS]
    result = session.execute(_display(page, *tallies, select_from=tally.outerjoin(page, true()))).all()
    counts = dict(zip(TABS, (int(v or 0) for v in result[0][-len(TABS):])))
    return [r for r in result if r.id is not None], counts
