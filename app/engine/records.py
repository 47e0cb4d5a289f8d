"""Plain records returned by the runner (no SpiffWorkflow objects)."""
from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime


@dataclass
class ReadyTask:
    id: str
    spec_id: str
    name: str
    lane: str | None
    process_id: str
    properties: dict[str, str]
    instructions: str | None
    data: dict


@dataclass
class TaskInfo:
    id: str
    spec_id: str
    name: str
    lane: str | None
    process_id: str
    state: str  # TaskState name: READY, COMPLETED, CANCELLED, WAITING, ...
    is_human: bool


@dataclass
class WaitingTimer:
    task_id: str
    spec_id: str
    kind: str  # 'date' | 'duration' | 'cycle'
    due_at: datetime  # aware, UTC
    attached_to: str | None = None
    cycles_left: int | None = None  # cycles only; None for unbounded cycles (R/...)


@dataclass
class HistoryEntry:
    task_id: str
    spec_id: str
    name: str
    lane: str | None
    process_id: str
    state: str  # 'COMPLETED' | 'CANCELLED'
    last_state_change: datetime  # aware, UTC
    kind: str = field(default="task")  # 'task' (user/manual) | 'end'
