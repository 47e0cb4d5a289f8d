"""Services written alongside the scheduler (escalations, digest, notifications) are looked up
lazily, so the scheduler runs (and its jobs skip with a log line) before they exist."""
from __future__ import annotations

import importlib
import inspect
from typing import Callable

from app.config import Settings
from app.services.engine_context import EngineContext


def optional_service(module: str, name: str) -> Callable | None:
    """`module.name`, or None when that module does not exist (an error inside it still raises)."""
    try:
        found = importlib.import_module(module)
    except ModuleNotFoundError as exc:
        if exc.name == module:
            return None
        raise
    return getattr(found, name, None)


def call_with_settings(service: Callable, ctx: EngineContext, settings: Settings):
    """Call `service(ctx, …)` passing the settings its signature names (e.g. smtp_host)."""
    wanted = inspect.signature(service).parameters
    return service(ctx, **{n: getattr(settings, n) for n in wanted if n != "ctx" and hasattr(settings, n)})
