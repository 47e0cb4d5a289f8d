"""Real `flask lvyue scheduler` subprocesses on the test database (start, wait, SIGTERM, SIGKILL)."""
from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

from app.config import ROOT

STARTUP_TIMEOUT = 30.0


def wait_until(condition, timeout: float, interval: float = 0.05) -> bool:
    """Poll `condition` until it is true or `timeout` seconds passed (bounded; multi-process tests only)."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if condition():
            return True
        time.sleep(interval)
    return condition()


class SchedulerProcesses:
    def __init__(self, settings, log_dir: Path, tick_seconds: float = 0.2):
        self.log_dir = log_dir
        self.env = {**os.environ, "PYTHONUNBUFFERED": "1",
                    "LVYUE_DATABASE_URL": settings.database_url, "LVYUE_INSTANCE_PATH": settings.instance_path,
                    "LVYUE_SECRET_KEY": settings.secret_key, "LVYUE_SCHEDULER_TICK_SECONDS": str(tick_seconds)}
        self.running: list[subprocess.Popen] = []

    def start(self, name: str) -> subprocess.Popen:
        log = open(self.log_dir / f"{name}.log", "wb")
        proc = subprocess.Popen(
            [sys.executable, "-m", "flask", "--app", "app:create_app", "lvyue", "scheduler", "--name", name],
            cwd=ROOT, env=self.env, stdout=log, stderr=subprocess.STDOUT, start_new_session=True)
        log.close()
        proc.log_path = self.log_dir / f"{name}.log"
        self.running.append(proc)
        return proc

    def output(self, proc: subprocess.Popen) -> str:
        return proc.log_path.read_text(errors="replace")

    def wait_started(self, proc: subprocess.Popen) -> None:
        started = wait_until(lambda: " started (" in self.output(proc) or proc.poll() is not None, STARTUP_TIMEOUT)
        assert started and proc.poll() is None, self.output(proc)

    def stop(self, proc: subprocess.Popen, timeout: float = 60) -> int:
        proc.send_signal(signal.SIGTERM)
        return proc.wait(timeout=timeout)

    def kill(self, proc: subprocess.Popen) -> int:
        proc.send_signal(signal.SIGKILL)
        return proc.wait(timeout=10)

    def __enter__(self) -> "SchedulerProcesses":
        return self

    def __exit__(self, *exc) -> None:
        for proc in self.running:
            if proc.poll() is None:
                proc.kill()
                proc.wait(timeout=10)
