"""Who may see and do what: pure functions over an actor and plain objects (no I/O)."""
from __future__ import annotations

from dataclasses import dataclass

CITY_REGION = "340300"


@dataclass(frozen=True)
class Actor:
    """The caller of a service: a staff user, the public complainant of one case, or the system."""

    kind: str  # "staff" | "complainant" | "system"
    label: str
    user_id: int | None = None
    role: str | None = None
    org_id: int | None = None
    org_code: str | None = None
    org_level: str | None = None
    region_code: str | None = None
    case_id: int | None = None  # for a complainant: the one case their query code opened

    @classmethod
    def system(cls, label: str = "system") -> "Actor":
        return cls(kind="system", label=label)

    @classmethod
    def complainant(cls, case_id: int) -> "Actor":
        return cls(kind="complainant", label="complainant", role="complainant", case_id=case_id)

    @property
    def is_staff(self) -> bool:
        return self.kind == "staff"


def in_region(actor_region: str | None, region_code: str | None) -> bool:
    """A city-level region (xx xx 00) covers its districts and counties; a county covers itself."""
    if not actor_region or not region_code:
        return False
    if actor_region.endswith("00"):
        return region_code[:4] == actor_region[:4]
    return region_code == actor_region


def can_view_case(actor: Actor, case) -> bool:
    """`case` needs accepting_org_id, handling_org_id, supervising_org_id, region_code, id."""
    if actor.kind == "system":
        return True
    if actor.kind == "complainant":
        return actor.case_id == case.id
    if actor.role == "admin":
        return True
    if actor.role == "supervisor":
        return in_region(actor.region_code, case.region_code)
    if actor.role == "intake_officer":
        return actor.org_id == case.accepting_org_id
    if actor.role == "handler":
        return actor.org_id == case.handling_org_id
    return False


def can_act_on_task(actor: Actor, task) -> bool:
    """`task` needs role, org_id, case_id. A lane-less task (role process_owner) is for process owners."""
    if actor.kind == "system":
        return False
    if task.role == "complainant":
        return actor.kind == "complainant" and actor.case_id == task.case_id
    if not actor.is_staff or actor.role != task.role:
        return False
    if task.role == "process_owner":
        return True
    return task.org_id is not None and task.org_id == actor.org_id


def can_start_process(actor: Actor) -> bool:
    return actor.is_staff and actor.role in ("process_owner", "admin")


def can_file_complaint_for_channel(actor: Actor) -> bool:
    """Staff of an accepting unit (or admins, or the public web form as a complainant) may file."""
    return actor.kind in ("complainant", "system") or actor.role in ("intake_officer", "admin")


def can_deploy(actor: Actor) -> bool:
    return actor.kind == "system" or (actor.is_staff and actor.role == "process_owner")


def can_view_models(actor: Actor) -> bool:
    """The models page, validation, dry runs, diffs and migration plans (read-only for admins)."""
    return actor.kind == "system" or (actor.is_staff and actor.role in ("process_owner", "admin"))


# -- supervision (escalations, extensions, orders, reassignment) --------------------------------

def can_use_supervision_desk(actor: Actor) -> bool:
    """The supervisors' desk (live clocks, league table): supervisors and admins."""
    return actor.is_staff and actor.role in ("supervisor", "admin") and bool(actor.region_code)


def can_supervise_case(actor: Actor, case) -> bool:
    """Send 催办/督办, decide extensions and reassign: a supervisor whose region covers the case."""
    return actor.is_staff and actor.role == "supervisor" and in_region(actor.region_code, case.region_code)


def can_request_extension(actor: Actor, task) -> bool:
    """Only staff who may act on the task (its role, its org) ask for more time on it."""
    return actor.is_staff and can_act_on_task(actor, task)


def can_reply_to_order(actor: Actor, order) -> bool:
    """A 催办/督办 is answered by staff of the org it was addressed to."""
    return actor.is_staff and order.org_id is not None and actor.org_id == order.org_id


def owns_notification(actor: Actor, notification) -> bool:
    return actor.is_staff and actor.user_id is not None and notification.user_id == actor.user_id


# -- workbench (claims, internal notes, attachments) ---------------------------------------------

def can_claim_task(actor: Actor, task) -> bool:
    """Staff who may act on a task may claim it (complainant tasks are never claimed)."""
    return actor.is_staff and actor.user_id is not None and task.role != "complainant" and can_act_on_task(actor, task)


def can_release_claim(actor: Actor, task, case) -> bool:
    """`task` needs claimed_by_id: the holder releases their own claim; a supervisor of the case's
    region may release anyone's (e.g. the holder is away)."""
    if not actor.is_staff or task.claimed_by_id is None:
        return False
    if actor.user_id is not None and task.claimed_by_id == actor.user_id:
        return True
    return case is not None and can_supervise_case(actor, case)


def can_add_note(actor: Actor, case) -> bool:
    """Internal notes are written by staff who may view the case."""
    return actor.is_staff and actor.user_id is not None and can_view_case(actor, case)


def can_read_attachment(actor: Actor, attachment, case) -> bool:
    """`attachment` needs case_id and public. Staff who may view the case see every file; the
    complainant sees only the public files of their own case."""
    if case is None or attachment.case_id != case.id:
        return False
    if actor.kind == "complainant":
        return actor.case_id == case.id and bool(attachment.public)
    return (actor.is_staff or actor.kind == "system") and can_view_case(actor, case)
