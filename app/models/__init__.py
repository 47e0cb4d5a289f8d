"""Typed SQLAlchemy 2 models, one module per aggregate."""
from app.models.attachment import Attachment
from app.models.audit import AuditChain, AuditEvent, OutboxMessage, RateLimitBucket
from app.models.cache_version import CacheVersion
from app.models.calendar import CalendarOverride, CalendarYear
from app.models.case import Case, CaseSequence
from app.models.case_note import CaseNote
from app.models.definition import ModelDraft, ProcessDefinition
from app.models.instance import ProcessInstance
from app.models.org import Org
from app.models.supervision import (ClockPause, Escalation, ExtensionRequest, JobRun, Notification,
                                    SchedulerLease)
from app.models.task import ReadyTask, TaskLog, Timer
from app.models.user import ApiToken, User

__all__ = [
    "ApiToken", "Attachment", "AuditChain", "AuditEvent", "CacheVersion", "CalendarOverride", "CalendarYear", "Case",
    "CaseNote", "CaseSequence", "ClockPause", "Escalation", "ExtensionRequest", "JobRun", "ModelDraft", "Notification",
    "Org", "OutboxMessage", "RateLimitBucket", "SchedulerLease", "ProcessDefinition", "ProcessInstance", "ReadyTask",
    "TaskLog", "Timer", "User",
]
