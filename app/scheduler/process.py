"""The scheduler process: the registry's jobs on APScheduler's BlockingScheduler, SIGTERM/SIGINT
for a clean stop (each job finishes its current item), and the lease that keeps SQLite to one
scheduler. On PostgreSQL any number of processes may run; row locks keep every item exactly-once."""
from __future__ import annotations

import gc
import logging
import os
import signal
import socket
import threading
from collections import Counter
from contextlib import contextmanager
from datetime import datetime
from typing import Callable, Iterator

from apscheduler.executors.pool import ThreadPoolExecutor
from apscheduler.schedulers.blocking import BlockingScheduler
from flask import Flask

from app import clock
from app.config import Settings
from app.db import db, unit_of_work
from app.scheduler import lease
from app.scheduler.job_env import JobEnv
from app.scheduler.lease import LeaseHeld
from app.scheduler.registry import JOBS, Job

log = logging.getLogger("lvyue.scheduler")
__all__ = ["LeaseHeld", "run_forever", "run_once"]


def holder_id(name: str) -> str:
    return f"{name}@{socket.gethostname()}:{os.getpid()}"


def _settings(app: Flask) -> Settings:
    return app.extensions["lvyue.settings"]


def run_job(app: Flask, job: Job, stop: threading.Event, counts: Counter) -> bool:
    """One pass of `job` in its own app context (own session); errors are logged. True: it succeeded."""
    with app.app_context():
        try:
            handled = job.run(JobEnv(db.session, _settings(app), stop))
        except Exception:  # noqa: BLE001 - a failing pass must not stop the scheduler
            log.exception("job %s failed", job.name)
            return False
        finally:
            db.session.remove()
    counts[job.name] += handled
    if handled:
        log.info("%s: %d", job.name, handled)
    return True


@contextmanager
def _lease_held(app: Flask, holder: str) -> Iterator[None]:
    """On SQLite: hold the scheduler lease for the block (raises lease.LeaseHeld if another runs)."""
    settings = _settings(app)
    if not settings.is_sqlite:
        yield
        return
    with app.app_context():
        try:
            with unit_of_work(db.session):
                lease.acquire(db.session, holder, clock.now(), lease.lease_seconds(settings.scheduler_tick_seconds))
        finally:
            db.session.remove()
    try:
        yield
    finally:
        with app.app_context():
            try:
                with unit_of_work(db.session):
                    lease.release(db.session, holder)
            finally:
                db.session.remove()


def _renew_lease(app: Flask, holder: str) -> None:
    settings = _settings(app)
    with app.app_context():
        try:
            with unit_of_work(db.session):
                ours = lease.renew(db.session, holder, clock.now(), lease.lease_seconds(settings.scheduler_tick_seconds))
        finally:
            db.session.remove()
    if not ours:
        log.error("scheduler lease lost to another process; stopping")
        os.kill(os.getpid(), signal.SIGTERM)


GC_THRESHOLDS = (10_000, 20, 20)  # CPython's default is (700, 10, 10)


def tune_gc() -> None:
    """For a long-running worker: objects alive after start-up (the app, models, mappers) are moved
    out of the collector's view (gc.freeze), and the youngest generation is collected every 10,000
    allocations instead of 700. A firing allocates tens of thousands of short-lived objects (engine
    task trees, ORM states) that reference counting frees anyway; cyclic garbage is still collected,
    only in larger steps. bench/timer_sweep.py measures the effect and the process's peak memory."""
    gc.collect()
    gc.freeze()
    gc.set_threshold(*GC_THRESHOLDS)


def run_once(app: Flask, name: str) -> tuple[Counter, list[str]]:
    """Every job of the registry once, in order. Returns the counts and the names of failed jobs."""
    counts: Counter = Counter()
    failed = []
    with _lease_held(app, holder_id(name)):
        for job in JOBS:
            if not run_job(app, job, threading.Event(), counts):
                failed.append(job.name)
    return counts, failed


def run_forever(app: Flask, name: str, echo: Callable[[str], None]) -> Counter:
    """Run until SIGTERM/SIGINT. Returns how many items each job handled."""
    settings = _settings(app)
    holder = holder_id(name)
    stop = threading.Event()
    counts: Counter = Counter()
    tune_gc()
    with _lease_held(app, holder):
        executor = ThreadPoolExecutor(len(JOBS) + 1)
        scheduler = BlockingScheduler(
            timezone=clock.SHANGHAI,
            executors={"default": executor},
            job_defaults={"coalesce": True, "max_instances": 1, "misfire_grace_time": None},
        )
        start = datetime.now(clock.SHANGHAI)
        for job in JOBS:
            scheduler.add_job(run_job, "interval", seconds=job.every(settings), args=(app, job, stop, counts),
                              id=job.name, name=job.name, next_run_time=start)
        if settings.is_sqlite:
            renew_every = lease.lease_seconds(settings.scheduler_tick_seconds) / 3
            scheduler.add_job(_renew_lease, "interval", seconds=renew_every, args=(app, holder), id="renew_lease")

        def on_signal(signum, _frame):
            # never block inside the handler: stop scheduling, let running jobs see `stop` and finish
            log.info("signal %s: finishing the current items, then stopping", signum)
            stop.set()
            if scheduler.running:
                scheduler.shutdown(wait=False)

        signal.signal(signal.SIGTERM, on_signal)
        signal.signal(signal.SIGINT, on_signal)
        echo(f"scheduler {holder} started ({'sqlite' if settings.is_sqlite else 'postgresql'}, "
             f"tick {settings.scheduler_tick_seconds:g} s, jobs: {', '.join(j.name for j in JOBS)})")
        if not stop.is_set():
            scheduler.start()
        executor.shutdown(wait=True)  # the jobs running at the signal finish their current item
    return counts
