"""What an evaluated timer expression means, read with SpiffWorkflow's own parsers, so the modeler's
preview shows exactly the due time the engine will wait for.

Naive datetimes in timer values are Beijing time, like every date the product shows or takes;
SpiffWorkflow would read them in the server's local zone, so its zone is pinned here (China keeps
no daylight-saving time, so the zone is a fixed +08:00)."""
from __future__ import annotations

from datetime import datetime

from SpiffWorkflow.bpmn.specs.event_definitions import timer as spiff_timer
from SpiffWorkflow.bpmn.specs.event_definitions.timer import TimerEventDefinition

from app import clock

spiff_timer.LOCALTZ = clock.SHANGHAI

TIMER_KINDS = ("timeDate", "timeDuration", "timeCycle")


class NotATimerValue(ValueError):
    """The value is not what the timer kind needs (a datetime, a duration, a repetition)."""


def first_due(kind: str, value, armed_at: datetime) -> tuple[datetime, int | None]:
    """When a timer of `kind` armed at `armed_at` with this expression value first fires, and for a
    cycle how many times it repeats (None: without end, and for the other kinds)."""
    if not isinstance(value, str) or kind not in TIMER_KINDS:
        raise NotATimerValue(repr(value))
    text = value.strip()
    try:
        if kind == "timeDate":
            due = TimerEventDefinition.parse_time_or_duration(text)
            if not isinstance(due, datetime):
                raise ValueError("a duration where a date is needed")
            return due, None
        if kind == "timeDuration":
            return armed_at + _duration(text, armed_at), None
        if not text.upper().startswith("R"):
            raise ValueError("a cycle starts with R")
        cycles, first, _interval = TimerEventDefinition.parse_iso_recurring_interval(text)
        parts = text.upper().replace("--", "/").strip("R").split("/")
        if len(parts) == 2 and parts[1].startswith("P"):  # no start given: counted from when it is armed
            first = armed_at + _duration(parts[1], armed_at)
        return first, (cycles if cycles >= 0 else None)
    except NotATimerValue:
        raise
    except Exception as exc:  # noqa: BLE001 - the library raises bare Exception for bad values
        raise NotATimerValue(text) from exc


def _duration(text: str, start: datetime):
    return TimerEventDefinition.get_timedelta_from_start(TimerEventDefinition.parse_iso_duration(text), start)
