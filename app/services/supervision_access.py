"""Lookups shared by the supervision use cases: what the caller may see (404 otherwise) and
field checks that report every bad field at once (422)."""
from __future__ import annotations

from app.errors import InvalidSubmission, NotFound
from app.models import Case, ReadyTask
from app.policy import Actor, can_act_on_task, can_view_case
from app.services.engine_context import EngineContext


def visible_task(ctx: EngineContext, actor: Actor, task_id: str) -> tuple[ReadyTask, Case | None]:
    """An open (ready) task the caller can see: its assignees, or anyone who may view its case."""
    task = ctx.session.get(ReadyTask, str(task_id))
    case = ctx.session.get(Case, task.case_id) if task is not None and task.case_id else None
    if task is None or not (can_act_on_task(actor, task) or (case is not None and can_view_case(actor, case))):
        raise NotFound("task not found or no longer open")
    return task, case


def visible_case(ctx: EngineContext, actor: Actor, case_id: int | None) -> Case:
    case = ctx.session.get(Case, case_id) if case_id else None
    if case is None or not can_view_case(actor, case):
        raise NotFound("not found")
    return case


class FieldChecks:
    """Collect field errors; `done()` raises one InvalidSubmission with all of them."""

    def __init__(self):
        self.errors: dict[str, list[str]] = {}

    def integer(self, name: str, value, low: int, high: int) -> int | None:
        if isinstance(value, bool) or not isinstance(value, int) or not low <= value <= high:
            self.errors.setdefault(name, []).append(f"an integer from {low} to {high}")
            return None
        return value

    def text(self, name: str, value, *, required: bool = True, max_length: int = 2000) -> str:
        if value is None and not required:
            return ""
        if not isinstance(value, str) or (required and not value.strip()) or len(value) > max_length:
            need = "a non-empty text" if required else "a text"
            self.errors.setdefault(name, []).append(f"{need} of at most {max_length} characters")
            return ""
        return value.strip()

    def choice(self, name: str, value, options: tuple[str, ...]) -> str:
        if value not in options:
            self.errors.setdefault(name, []).append(f"one of {', '.join(options)}")
            return ""
        return value

    def done(self) -> None:
        if self.errors:
            raise InvalidSubmission(self.errors)
