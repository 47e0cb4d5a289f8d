"""`flask lvyue scheduler [--once] [--name NAME]`: the scheduler process (its own process; the web
app never starts one). Each job item is its own transaction boundary (app.scheduler)."""
from __future__ import annotations

import logging
import os

import click
from flask import current_app

from app.cli import lvyue
from app.scheduler.process import LeaseHeld, run_forever, run_once  # the one cli -> scheduler edge (pyproject)


def _summary(name: str, counts) -> str:
    return (f"scheduler {name}: fired {counts['fire_timers']} timer(s), delivered {counts['deliver_outbox']} "
            f"message(s), {counts['escalations']} escalation step(s), {counts['daily_digest']} digest(s), "
            f"{counts['calendar_coverage']} calendar warning(s), {counts['attachment_cleanup']} unused file(s) removed")


@lvyue.command("scheduler")
@click.option("--once", is_flag=True, help="run each job once and exit (tests, cron)")
@click.option("--name", default=None, help="this process's name in logs and in the lease (default: scheduler-PID)")
def scheduler_cmd(once, name):
    """Run the scheduler: fire due timers, escalations, outbox delivery, calendar check, daily digest,
    attachment store clean-up."""
    logging.basicConfig(level=logging.WARNING, format="%(asctime)s %(name)s %(levelname)s %(message)s")
    logging.getLogger("lvyue").setLevel(logging.INFO)
    logging.getLogger("apscheduler").setLevel(logging.ERROR)  # "skipped: already running" while a sweep is long
    name = name or f"scheduler-{os.getpid()}"
    app = current_app._get_current_object()
    try:
        if once:
            counts, failed = run_once(app, name)
        else:
            counts, failed = run_forever(app, name, click.echo), []
    except LeaseHeld as exc:
        raise click.ClickException(f"scheduler not started: {exc}")
    click.echo(_summary(name, counts) + (" (stopped)" if not once else ""))
    if failed:
        raise click.ClickException(f"job(s) failed: {', '.join(failed)} (see the log)")
