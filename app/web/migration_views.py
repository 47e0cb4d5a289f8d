"""Moving running cases to another version of their process, in audited batches.

* GET  /models/<key>/migrate — choose the target version and which running cases to consider
  (their current version, stage, handling org); recent batches of this process.
* POST /models/<key>/migrate/plan — the plan (reads only; a POST because it loads every chosen
  case's engine state and tries the move on a copy): each case, whether it can move and why not.
* POST /models/<key>/migrations — process owners: the ticked cases move in ONE batch
  (`case_migration.migrate_batch`, one transaction, audited). The deadlines of each case are read
  just before and just after, and kept with the note in the batch report (an audit entry).
* GET  /models/<key>/migrations/<id> — the report: what moved (from → to version, deadlines before
  and after), what could not and why.

Admins see everything read-only. A case that moved or closed since the plan is reported as not
moved, with the reason; it never fails the batch."""
from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import datetime

from flask import Blueprint, redirect, render_template, request, url_for
from flask_babel import gettext as _

from app import clock
from app.db import db
from app.errors import InvalidSubmission, NotAllowed
from app.policy import can_deploy
from app.services import audit, case_migration, model_admin
from app.services.reference_cache import reference_data
from app.web.migration_reads import (REPORT_ACTION, deadlines, display_names, handling_orgs, recent_reports,
                                     report_entry, running_count, versions)
from app.web.migration_reasons import attribute_label, explain
from app.web.pages import current_actor, engine_context, page, read_snapshot, write_transaction
from app.web.staff_labels import register_staff_labels, stage_choices, task_name, timer_label

log = logging.getLogger(__name__)
migration_bp = Blueprint("migration", __name__)
migration_bp.record_once(lambda state: register_staff_labels(state.app))

VIEWERS = ("process_owner", "admin")
NOTE_MAX = 500
DIFF_SHOWN = 30


@dataclass
class Choice:
    from_version: int | None
    to_version: int | None
    stage: str
    org: str

    def as_args(self) -> dict:
        args = {"from": self.from_version, "to": self.to_version, "stage": self.stage, "org": self.org}
        return {k: v for k, v in args.items() if v not in (None, "")}


def _int(value) -> int | None:
    text = (value or "").strip() if isinstance(value, str) else ""
    return int(text) if text.isdigit() and len(text) < 10 else None


def _choice(source, vs: list[dict]) -> Choice:
    """The versions and filters asked for; missing versions default to: to = the newest, from = the
    newest other version with running cases."""
    numbers = [v["version"] for v in vs]
    to_version = _int(source.get("to"))
    from_version = _int(source.get("from"))
    if to_version is None and "to" not in source:
        to_version = numbers[0]
    if from_version is None and "from" not in source:
        from_version = next((v["version"] for v in vs if v["version"] != to_version and v["running_cases"]), None)
    stages = {code for code, _label in stage_choices()}
    stage = (source.get("stage") or "").strip()
    org = (source.get("org") or "").strip()[:40]
    return Choice(from_version, to_version, stage if stage in stages else "", org)


def _choice_errors(choice: Choice, vs: list[dict]) -> dict[str, list[str]]:
    numbers = {v["version"] for v in vs}
    errors: dict[str, list[str]] = {}
    if choice.from_version not in numbers:
        errors["from"] = [_("请选择案件当前所在的版本。")]
    if choice.to_version not in numbers:
        errors["to"] = [_("请选择要迁移到的版本。")]
    elif choice.to_version == choice.from_version:
        errors["to"] = [_("目标版本必须不同于案件当前所在的版本。")]
    return errors


def _org_names() -> dict[str, str]:
    directory, _calendar = reference_data(db.session)
    return {code: entry.name for code, entry in directory.by_code.items()}


def _version_row(vs: list[dict], number: int | None) -> dict | None:
    return next((v for v in vs if v["version"] == number), None)


def _render_choose(key: str, choice: Choice, vs: list[dict], *, errors=None, status: int = 200):
    return render_template(
        "migration/choose.html", key=key, versions=vs, choice=choice, errors=errors or {},
        stages=[(c, label) for c, label in stage_choices() if c != "closed"], orgs=handling_orgs(db.session, key),
        reports=_report_summaries(recent_reports(db.session, key)),
        can_migrate=can_deploy(current_actor()), max_plan=case_migration.MAX_PLAN,
    ), status


@page(migration_bp, "/models/<key>/migrate", roles=VIEWERS)
def choose(key: str):
    vs = versions(db.session, key)
    return _render_choose(key, _choice(request.args, vs), vs)


# -- the plan ----------------------------------------------------------------------------------------
def _diff_rows(key: str, choice: Choice) -> dict | None:
    """What changed between the two versions, in words (None when the diff cannot be computed)."""
    try:
        diff = model_admin.version_diff(db.session, key, choice.from_version, choice.to_version)
    except Exception:  # noqa: BLE001 - the diff only explains the plan; the plan must still show
        log.exception("version diff of %s %s -> %s failed", key, choice.from_version, choice.to_version)
        return None

    def row(e: dict) -> dict:
        return {"name": task_name(e["name"]) if e["name"] else "", "element_id": e["element_id"],
                "what": _("、").join(dict.fromkeys(attribute_label(a) for a in e.get("attributes") or []))}

    groups = {"changed": [row(e) for e in diff["changed"]], "added": [row(e) for e in diff["added"]],
              "removed": [row(e) for e in diff["removed"]]}
    total = sum(len(g) for g in groups.values())
    names = {r["element_id"]: r["name"] or r["element_id"] for g in groups.values() for r in g}
    return {**{k: g[:DIFF_SHOWN] for k, g in groups.items()}, "total": total, "names": names,
            "hidden": max(0, total - sum(min(len(g), DIFF_SHOWN) for g in groups.values()))}


def _render_plan(key: str, source, *, selected: set[int] | None = None, note: str = "", errors=None,
                 status: int = 200):
    actor = current_actor()
    vs = versions(db.session, key)
    choice = _choice(source, vs)
    choice_errors = _choice_errors(choice, vs)
    if choice_errors:
        return _render_choose(key, choice, vs, errors=choice_errors, status=422)
    candidates = case_migration.plan(engine_context(), actor, key, choice.from_version, choice.to_version,
                                     choice.stage or None, choice.org or None)
    movable = [c for c in candidates if c.can_move]
    refused = [(c, explain(c.reason, c.element_id)) for c in candidates if not c.can_move]
    if selected is None:
        selected = {c.instance_id for c in movable[:case_migration.MAX_BATCH]}
    from_row = _version_row(vs, choice.from_version)
    matching = running_count(db.session, from_row["definition_id"], choice.stage or None, choice.org or None)
    return render_template(
        "migration/plan.html", key=key, versions=vs, choice=choice, from_row=from_row,
        to_row=_version_row(vs, choice.to_version), movable=movable, refused=refused, selected=selected,
        checked=len(candidates), matching=matching, max_plan=case_migration.MAX_PLAN,
        max_batch=case_migration.MAX_BATCH, note=note, note_max=NOTE_MAX, errors=errors or {},
        diff=_diff_rows(key, choice), org_names=_org_names(), can_migrate=can_deploy(actor),
        stages=[(c, label) for c, label in stage_choices() if c != "closed"], orgs=handling_orgs(db.session, key),
    ), status


@page(migration_bp, "/models/<key>/migrate/plan", methods=("POST",), roles=VIEWERS)
def plan(key: str):
    with read_snapshot():
        return _render_plan(key, request.form)


# -- the batch ---------------------------------------------------------------------------------------
def _selected_ids() -> tuple[list[int], bool]:
    raw = request.form.getlist("instance_id")
    ids = [_int(v) for v in raw]
    return sorted({i for i in ids if i is not None}), any(i is None for i in ids)


def _batch_errors(ids: list[int], malformed: bool, note: str) -> dict[str, list[str]]:
    errors: dict[str, list[str]] = {}
    if malformed:
        errors["instance_id"] = [_("所选案件有误，请重新检查后勾选。")]
    elif not ids:
        errors["instance_id"] = [_("请至少勾选一个可以迁移的案件。")]
    elif len(ids) > case_migration.MAX_BATCH:
        errors["instance_id"] = [_("每批最多迁移 %(n)s 个案件，请减少勾选。", n=case_migration.MAX_BATCH)]
    if not note:
        errors["note"] = [_("请填写迁移说明，它将记入审计记录。")]
    elif len(note) > NOTE_MAX:
        errors["note"] = [_("迁移说明最多 %(n)s 个字。", n=NOTE_MAX)]
    return errors


@page(migration_bp, "/models/<key>/migrations", methods=("POST",), roles=VIEWERS)
def migrate(key: str):
    actor = current_actor()
    if not can_deploy(actor):
        raise NotAllowed("only process owners may migrate cases")
    ids, malformed = _selected_ids()
    note = (request.form.get("note") or "").strip()
    errors = _batch_errors(ids, malformed, note)
    with read_snapshot():
        vs = versions(db.session, key)
        choice = _choice(request.form, vs)
        choice_errors = _choice_errors(choice, vs)
        if choice_errors:
            return _render_choose(key, choice, vs, errors=choice_errors, status=422)
        if errors:
            return _render_plan(key, request.form, selected=set(ids), note=note, errors=errors, status=422)
    from_version, to_version = choice.from_version, choice.to_version
    try:
        with write_transaction():
            ctx = engine_context()
            before = deadlines(db.session, ids)
            report = case_migration.migrate_batch(ctx, actor, key, from_version, to_version, ids)
            moved_ids = [m["instance_id"] for m in report.moved]
            after = deadlines(db.session, moved_ids)
            entry = audit.append(db.session, actor, REPORT_ACTION, ctx.now, detail={
                "key": key, "from_version": report.from_version, "to_version": report.to_version, "note": note,
                "filters": {"stage": request.form.get("stage") or "", "org": request.form.get("org") or ""},
                "moved": [{**m, "before": before.get(m["instance_id"], []), "after": after.get(m["instance_id"], [])}
                          for m in report.moved],
                "refused": report.refused})
            db.session.flush()
            report_id = entry.id
    except InvalidSubmission as exc:
        with read_snapshot():
            message = "; ".join(m for msgs in exc.errors.values() for m in msgs)
            return _render_plan(key, request.form, selected=set(ids), note=note, status=422,
                                errors={"batch": [_("迁移未执行：%(why)s", why=message)]})
    return redirect(url_for("migration.report", key=key, report_id=report_id))


# -- the report --------------------------------------------------------------------------------------
def _deadline_label(item: dict) -> str:
    if item.get("kind") == "timer":
        return timer_label(item.get("element"))
    return task_name(item.get("name")) or item.get("element") or ""


def _moment(value) -> datetime | None:
    try:
        return clock.as_utc(datetime.fromisoformat(value)) if value else None
    except (TypeError, ValueError):
        return None


def compare_deadlines(before: list[dict], after: list[dict], migrated_at: datetime) -> list[dict]:
    """Before and after side by side, paired by kind and element (in order of appearance).
    status: same | changed | added | removed, or due: it was already due when the batch ran and
    fired then, at its own time (a reminder cycle goes on to its next date; a task whose deadline
    fired is gone)."""
    def keyed(items):
        out, seen = {}, {}
        for item in items:
            base = (item.get("kind"), item.get("element"))
            seen[base] = seen.get(base, 0) + 1
            out[(*base, seen[base])] = item
        return out

    old, new = keyed(before), keyed(after)
    at = clock.as_utc(migrated_at)
    rows = []
    for k in dict.fromkeys([*old, *new]):
        a, b = old.get(k), new.get(k)
        due = _moment(a.get("due_at")) if a is not None else None
        was_due = due is not None and due <= at
        if a is None:
            status = "added"
        elif b is None:
            status = "due" if was_due else "removed"
        elif a.get("due_at") == b.get("due_at"):
            status = "same"
        else:  # a timer that was due fired and (a cycle) moved on; anything else is a real change
            status = "due" if was_due and k[0] == "timer" else "changed"
        rows.append({"label": _deadline_label(b or a), "kind": k[0], "before": (a or {}).get("due_at"),
                     "after": (b or {}).get("due_at"), "status": status})
    return rows


def _report_summaries(entries) -> list[dict]:
    names = display_names(db.session, [e.actor_id for e in entries])
    out = []
    for entry in entries:
        d = entry.detail or {}
        out.append({"id": entry.id, "at": entry.at, "by_name": names.get(entry.actor_id) or entry.actor_label,
                    "from_version": d.get("from_version"), "to_version": d.get("to_version"),
                    "moved": len(d.get("moved") or []), "refused": len(d.get("refused") or []),
                    "note": d.get("note") or ""})
    return out


@page(migration_bp, "/models/<key>/migrations/<int:report_id>", roles=VIEWERS)
def report(key: str, report_id: int):
    entry = report_entry(db.session, key, report_id)
    detail = entry.detail or {}
    moved = []
    for m in detail.get("moved") or []:
        rows = compare_deadlines(m.get("before") or [], m.get("after") or [], entry.at)
        moved.append({**m, "deadlines": rows, "unchanged": all(r["status"] in ("same", "due", "added") for r in rows)})
    refused = [{**r, "why": explain(r.get("reason", ""), r.get("element_id", ""))} for r in detail.get("refused") or []]
    return render_template("migration/report.html", key=key, entry=entry, summary=_report_summaries([entry])[0],
                           detail=detail, moved=moved, refused=refused,
                           case_links=current_actor().role == "admin")
