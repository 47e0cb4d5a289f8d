"""Read side of the handlers' inbox: the ready tasks the actor's org must act on, least time left first.

Scope is exactly `queries.tasks.tasks_for`: ready tasks of the actor's role in the actor's org
(process owners see the lane-less `process_owner` tasks). One inbox call runs a constant number of
statements whatever the page size: the reference-data token check, the page of rows (joined to the
case, the respondent org and the claiming user) and the per-tab counts (one aggregate).

Urgency uses the working-day calendar: a task is overdue once its due time has passed and due soon
while at most DUE_SOON_WORKDAYS working days are left (`WorkingCalendar.workdays_between`). Where
the calendar does not cover a date the row has no day count and says so; the page never fails.
"""
from __future__ import annotations

import base64
import binascii
import json
import re
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta

from sqlalchemy import and_, case, false, func, literal_column, or_, select, tuple_, union_all
from sqlalchemy.orm import Session, aliased

from app import clock
from app.errors import CalendarNotCovered, InvalidSubmission
from app.models import Case, Org, ReadyTask, User
from app.policy import Actor
from app.services.reference_cache import reference_data

TABS = ("all", "mine", "unclaimed", "due_soon", "overdue")
URGENCIES = ("ok", "due_soon", "overdue")
DUE_SOON_WORKDAYS = 2
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


def _empty_counts() -> dict[str, int]:
    return {tab: 0 for tab in TABS}


# -- time ------------------------------------------------------------------------------------------

def _start_of(day: date) -> datetime:
    return datetime.combine(day, time.min, tzinfo=clock.SHANGHAI)


def due_soon_limit(calendar, now: datetime) -> tuple[datetime, bool]:
    """The moment from which more than DUE_SOON_WORKDAYS working days are left: local midnight of
    the (DUE_SOON_WORKDAYS + 1)-th working day after today. A task due in [now, limit) is due soon.
    If the calendar stops covering the span first, the limit is the first uncovered day (True)."""
    day = clock.local(now).date()
    seen = 0
    while True:
        day += timedelta(days=1)
        try:
            if calendar.is_workday(day):
                seen += 1
        except CalendarNotCovered:
            return _start_of(day), True
        if seen > DUE_SOON_WORKDAYS:
            return _start_of(day), False


def _days_left(calendar, now: datetime, due: datetime | None) -> tuple[int | None, bool]:
    if due is None:
        return None, False
    try:
        if due >= now:
            return calendar.workdays_between(now, due), False
        return -calendar.workdays_between(due, now), False
    except CalendarNotCovered:
        return None, True


def _urgency(due: datetime | None, now: datetime, soon: datetime) -> str:
    if due is None:
        return "ok"
    if due < now:
        return "overdue"
    if due < soon:
        return "due_soon"
    return "ok"


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


def _after(cursor: str | None):
    """Keyset conditions for (dated rows, undated rows) after the cursor; undated rows come last."""
    if not cursor:
        return None, None
    due, created, task_id = decode_cursor(cursor)
    if due is None:
        return false(), tuple_(ReadyTask.created_at, ReadyTask.id) > tuple_(created, task_id)
    return tuple_(ReadyTask.due_at, ReadyTask.created_at, ReadyTask.id) > tuple_(due, created, task_id), None


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


def _contains(column, text: str):
    """Substring match; LIKE when the text has no letter case (e.g. Chinese, digits), which is much
    cheaper than ILIKE on PostgreSQL, else case-insensitive."""
    if text.lower() == text.upper():
        return column.contains(text, autoescape=True)
    return column.icontains(text, autoescape=True)


def _case_match(channel, region, q, enterprise, contract):
    """Filters on the task's case as one semi-join: the ids of matching OPEN cases (a case with ready
    tasks is open: they are removed in the transaction that closes it). The subquery reads the
    partial index ix_cases_open_search only, so a search scans the open cases' index entries once
    instead of looking up the case of every task in the inbox."""
    conditions = []
    if channel:
        conditions.append(Case.channel == channel)
    if region:
        conditions.append(Case.region_code == region)
    if q and CASE_NO_SHAPE.match(q):
        conditions.append(_case_no_prefix(q.upper()))
    elif q:
        conditions.append(or_(Case.case_no.istartswith(q, autoescape=True), _contains(Case.complainant_name, q),
                              _contains(Case.contract_no, q), _contains(Case.contract_title, q)))
    if enterprise:
        conditions.append(_contains(Case.complainant_name, enterprise))
    if contract:
        conditions.append(or_(_contains(Case.contract_no, contract), _contains(Case.contract_title, contract)))
    if not conditions:
        return None
    # a literal, so that SQLite sees that the partial index's WHERE holds
    return ReadyTask.case_id.in_(select(Case.id).where(Case.status == literal_column("'open'"), *conditions))


def _tab_condition(tab: str, actor: Actor, now: datetime, soon: datetime):
    if tab == "mine":
        return ReadyTask.claimed_by_id == actor.user_id if actor.user_id is not None else false()
    if tab == "unclaimed":
        return ReadyTask.claimed_by_id.is_(None)
    if tab == "due_soon":
        return and_(ReadyTask.due_at >= now, ReadyTask.due_at < soon)
    if tab == "overdue":
        return ReadyTask.due_at < now
    return None


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
    after_dated, after_undated = _after(after)
    if not actor.is_staff or not actor.role:
        return InboxPage([], _empty_counts(), None, tab, False, filters)

    _directory, calendar = reference_data(session)
    soon, not_covered = due_soon_limit(calendar, now)

    conditions = [_scope(actor)]
    if stage:
        conditions.append(ReadyTask.stage == stage)
    case_match = _case_match(channel, region, q, enterprise, contract)
    if case_match is not None:
        conditions.append(case_match)

    tab_condition = _tab_condition(tab, actor, now, soon)
    row_conditions = conditions + ([tab_condition] if tab_condition is not None else [])
    rows = _rows(session, row_conditions, after_dated, after_undated, limit)
    counts = _counts(session, actor, now, soon, conditions)

    more = len(rows) > limit
    rows = rows[:limit]
    page_rows = []
    for r in rows:
        due = clock.as_utc(r.due_at)
        days_left, uncovered = _days_left(calendar, now, due)
        page_rows.append(InboxRow(
            task_id=r.id, task_name=r.name, task_spec=r.spec_id, stage=r.stage, due_at=due, days_left=days_left,
            calendar_not_covered=uncovered, urgency=_urgency(due, now, soon), case_no=r.case_no,
            complainant_name=r.complainant_name, contract_title=r.contract_title, contract_no=r.contract_no,
            channel=r.channel, region_code=r.region_code, respondent_name=r.respondent_name,
            claimed_by=r.claimed_by, claimed_by_me=r.claimed_by_id is not None and r.claimed_by_id == actor.user_id,
            escalation_level=r.escalation_level or 0, created_at=clock.as_utc(r.created_at),
        ))
    next_after = None
    if more and page_rows:
        last = page_rows[-1]
        next_after = encode_cursor(last.due_at, last.created_at, last.task_id)
    return InboxPage(page_rows, counts, next_after, tab, not_covered, filters)


def _page_keys(conditions: list, dated: bool, after, limit: int):
    """Ids and sort keys of the first `limit` rows with (dated) or without a due date, in index order:
    each half reads the inbox index in order and stops at `limit`, so a page never sorts the org's
    whole task list (an index keeps NULLs first on SQLite, last on PostgreSQL: hence two halves)."""
    query = select(ReadyTask.id, ReadyTask.due_at, ReadyTask.created_at).where(*conditions)
    if after is not None:
        query = query.where(after)
    if dated:
        query = query.where(ReadyTask.due_at.is_not(None)).order_by(ReadyTask.due_at, ReadyTask.created_at,
                                                                     ReadyTask.id)
    else:
        query = query.where(ReadyTask.due_at.is_(None)).order_by(ReadyTask.created_at, ReadyTask.id)
    return select(query.limit(limit).subquery())


def _rows(session: Session, conditions: list, after_dated, after_undated, limit: int):
    """One statement: the page's keys (dated half, then undated half), joined to the task, its case,
    the respondent org and the claiming user for display."""
    keys = union_all(_page_keys(conditions, True, after_dated, limit + 1),
                     _page_keys(conditions, False, after_undated, limit + 1)).subquery("page")
    respondent = aliased(Org)
    query = (
        select(ReadyTask.id, ReadyTask.name, ReadyTask.spec_id, ReadyTask.stage, ReadyTask.due_at,
               ReadyTask.created_at, ReadyTask.claimed_by_id, ReadyTask.escalation_level,
               Case.case_no, Case.complainant_name, Case.contract_title, Case.contract_no, Case.channel,
               Case.region_code, respondent.name.label("respondent_name"), User.display_name.label("claimed_by"))
        .select_from(keys)
        .join(ReadyTask, ReadyTask.id == keys.c.id)
        .outerjoin(Case, Case.id == ReadyTask.case_id)
        .outerjoin(respondent, respondent.id == Case.respondent_org_id)
        .outerjoin(User, User.id == ReadyTask.claimed_by_id)
        .order_by(keys.c.due_at.is_(None), keys.c.due_at, keys.c.created_at, keys.c.id)
        .limit(limit + 1)
    )
    return session.execute(query).all()


def _counts(session: Session, actor: Actor, now: datetime, soon: datetime, conditions: list) -> dict[str, int]:
    """Every tab's count in one aggregate over the inbox index (the tab is not a condition here)."""
    mine = (ReadyTask.claimed_by_id == actor.user_id) if actor.user_id is not None else false()
    query = select(
        func.count(),
        func.count(case((mine, 1))),
        func.count(case((ReadyTask.claimed_by_id.is_(None), 1))),
        func.count(case((and_(ReadyTask.due_at >= now, ReadyTask.due_at < soon), 1))),
        func.count(case((ReadyTask.due_at < now, 1))),
    ).select_from(ReadyTask).where(*conditions)
    values = session.execute(query).one()
    return dict(zip(TABS, (int(v or 0) for v in values)))
