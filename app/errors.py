"""Domain errors. The web layer maps them to HTTP statuses; services and the engine raise them."""
from __future__ import annotations

from dataclasses import dataclass


class DomainError(Exception):
    """Base class: carries a user-facing (translatable) message."""

    status = 400

    def __init__(self, message: str = "", **details):
        super().__init__(message)
        self.message = message
        self.details = details


class NotFound(DomainError):
    status = 404


class NotAllowed(DomainError):
    status = 403


class TaskNotAvailable(DomainError):
    """The task is no longer ready (completed by someone else, cancelled by a timer or message)."""

    status = 409


class Conflict(DomainError):
    status = 409


class InvalidSubmission(DomainError):
    """Field-level validation failure: errors maps field path -> list of messages."""

    status = 422

    def __init__(self, errors: dict[str, list[str]], message: str = "invalid submission"):
        super().__init__(message)
        self.errors = errors


@dataclass
class Problem:
    """One problem found in a process model (parse, XSD, lint)."""

    message: str
    file: str = ""
    element_id: str = ""
    element_name: str = ""
    code: str = "invalid"
    line: int | None = None

    def as_dict(self) -> dict:
        return {k: v for k, v in self.__dict__.items() if v not in ("", None)}


class DefinitionInvalid(DomainError):
    status = 422

    def __init__(self, problems: list[Problem], message: str = "process definition is invalid"):
        super().__init__(message)
        self.problems = problems

    def __str__(self) -> str:  # pragma: no cover - convenience
        return "; ".join(f"{p.file}:{p.element_id}: {p.message}" for p in self.problems)


class ProcessError(DomainError):
    """A script, condition, timer or decision failed while the engine ran."""

    status = 422

    def __init__(self, message: str, element_id: str = "", **details):
        super().__init__(message, **details)
        self.element_id = element_id


class CalendarNotCovered(DomainError):
    status = 422

    def __init__(self, year: int, message: str | None = None):
        super().__init__(
            message
            or (
                f"the working-day calendar does not cover {year}; load that year's holiday schedule "
                f"(State Council notice) with `flask lvyue calendar import {year} FILE` or on the calendar admin page"
            )
        )
        self.year = year
