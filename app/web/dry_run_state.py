"""What the dry-run page carries between requests and shows: nothing of a dry run is stored, so the
page holds the sample data and the steps taken so far in one signed hidden field and every request
replays them through `model_admin.dry_run` (a fresh in-memory instance each time).

Also the sample data a run starts with: for the complaint lifecycle, the data the intake service
hands the process for a typical complaint (a small firm in 怀远县 that was not paid for
construction work by the county housing bureau)."""
from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime

from itsdangerous import BadSignature, URLSafeTimedSerializer

from app import clock
from app.services import intake

RUN_SALT = "lvyue.dry-run"
RUN_MAX_AGE = 24 * 3600

SAMPLE_RESPONDENT = "HY-HOUSING"
SAMPLE_COMPLAINANT = {"kind": "sme", "name": "怀远县禾丰农业科技有限公司"}
SAMPLE_CONTRACT = {"title": "怀远县老旧小区改造工程（二期）施工合同", "scope_area": "gov_investment",
                   "amount_claimed": "125000.00"}
SAMPLE_CHANNEL = "credit_site_column"


def _serializer(secret_key: str) -> URLSafeTimedSerializer:
    return URLSafeTimedSerializer(secret_key, salt=RUN_SALT)


def sign_run(secret_key: str, key: str, sample: dict, steps: list[dict]) -> str:
    return _serializer(secret_key).dumps({"key": key, "sample": sample, "steps": steps})


def read_run(secret_key: str, key: str, token: str | None) -> tuple[dict, list[dict]] | None:
    """(sample, steps) of a token this app signed for this process; None when tampered with,
    expired or made for another process."""
    if not token:
        return None
    try:
        body = _serializer(secret_key).loads(token, max_age=RUN_MAX_AGE)
    except BadSignature:
        return None
    if not isinstance(body, dict) or body.get("key") != key:
        return None
    sample, steps = body.get("sample"), body.get("steps")
    if not isinstance(sample, dict) or not isinstance(steps, list):
        return None
    return sample, steps


def sample_data(key: str, directory, now: datetime) -> dict:
    """The initial process data a dry run of `key` starts with (empty for processes other than the
    complaint lifecycle). Mirrors what intake.register_complaint passes to the process."""
    if key != intake.LIFECYCLE_KEY:
        return {}
    respondent = directory.get(SAMPLE_RESPONDENT)
    accepting = directory.get(intake.PUBLIC_ACCEPTING_ORG)
    local = clock.local(now)
    return {
        "case_no": f"{intake.CASE_PREFIX}-{local.year}-000000",
        "received_at": local.isoformat(timespec="seconds"),
        "channel": SAMPLE_CHANNEL,
        "accepting_org": accepting.code,
        "respondent_org": respondent.code,
        "respondent": {"name": respondent.name, "kind": respondent.kind, "level": respondent.level,
                       "region_code": respondent.region_code},
        "complainant_kind": SAMPLE_COMPLAINANT["kind"],
        "complainant_name": SAMPLE_COMPLAINANT["name"],
        "amount_claimed": SAMPLE_CONTRACT["amount_claimed"],
        "scope_area": SAMPLE_CONTRACT["scope_area"],
        "contract_title": SAMPLE_CONTRACT["title"],
    }


@dataclass
class PathEntry:
    """One line of "the path so far": the start, a completed task, a fired timer, or the failure."""

    n: int
    kind: str                # start | task | timer | failed
    element: str = ""
    name: str = ""
    data: dict = field(default_factory=dict)
    message: str = ""


def path_so_far(steps: list[dict], snapshots: list[dict], error: dict | None = None,
                failed: dict | None = None) -> list[PathEntry]:
    """The entries of the steps that ran (snapshots[i] is the state after i steps, so before step
    i + 1) and, when the run failed, the failing step `failed` with the error's element and message."""
    entries = [PathEntry(0, "start")] if snapshots else []
    for n, step in enumerate(steps[: max(len(snapshots) - 1, 0)], start=1):
        entries.append(_entry(n, step, snapshots[n - 1]))
    if error is not None:
        name = _entry(error["step"], failed, snapshots[-1]).name if failed and snapshots else ""
        entries.append(PathEntry(error["step"], "failed", error.get("element_id") or "", name,
                                 message=error.get("message") or ""))
    return entries


def _entry(n: int, step: dict, before: dict) -> PathEntry:
    if "fire_timer" in step:
        return PathEntry(n, "timer", str(step["fire_timer"]))
    element = str(step.get("task") or "")
    name = next((t["name"] for t in before.get("ready_tasks", []) if t["task"] == element), element)
    data = step.get("data") if isinstance(step.get("data"), dict) else {}
    return PathEntry(n, "task", element, name, data)
