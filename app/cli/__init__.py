"""`flask lvyue …` commands. Each command is one transaction boundary."""
from __future__ import annotations

import json
from pathlib import Path

import click
from flask import Flask, current_app
from flask.cli import AppGroup
from sqlalchemy import func, select

from app import clock
from app.db import db, unit_of_work
from app.errors import DefinitionInvalid, DomainError
from app.models import Org
from app.policy import Actor

lvyue = AppGroup("lvyue", help="Lüyue administration commands.")
users = AppGroup("users", help="Users and API tokens.")
audit_cli = AppGroup("audit", help="Audit trail.")


def _settings():
    return current_app.extensions["lvyue.settings"]


@lvyue.command("seed-demo")
def seed_demo_cmd():
    """Load the Bengbu org directory and one demo user per role and org; print their credentials."""
    from app.services.demo_seed import seed_demo

    with unit_of_work(db.session):
        creds = seed_demo(db.session, clock.now())
    path = Path(_settings().instance_path) / "demo-credentials.json"
    existing = json.loads(path.read_text()) if path.exists() else {}
    existing.update(creds)
    path.write_text(json.dumps(existing, ensure_ascii=False, indent=2))
    path.chmod(0o600)
    for name, c in creds.items():
        click.echo(f"{name:20s} {c['role']:15s} {c['org_code']:12s} password={c['password']} token={c['api_token']}")
    click.echo(f"{len(creds)} demo users created; credentials in {path}")


@lvyue.command("deploy")
@click.option("--bpmn", "bpmn_dir", default=None, help="folder of .bpmn/.dmn files (default: bpmn/)")
@click.option("--forms", "forms_dir", default=None, help="folder of form schemas (default: forms/)")
@click.option("--note", default="", help="change note for the new version")
def deploy_cmd(bpmn_dir, forms_dir, note):
    """Deploy the models as a new version of each root process, only when their content changed."""
    from app.services.deployment import deploy_dirs

    s = _settings()
    try:
        with unit_of_work(db.session):
            results = deploy_dirs(db.session, Actor.system("deploy-cli"), clock.now(), bpmn_dir or s.bpmn_dir,
                                  forms_dir or s.forms_dir, note)
    except DefinitionInvalid as exc:
        for p in exc.problems:
            click.echo(f"  {p.file}:{p.element_id or '-'} [{p.code}] {p.message}", err=True)
        raise click.ClickException(f"{len(exc.problems)} problem(s); nothing deployed")
    for r in results:
        click.echo(f"{r.key} v{r.version} {'deployed' if r.created else 'unchanged'}")


@lvyue.command("bootstrap")
@click.option("--demo/--no-demo", default=True)
def bootstrap_cmd(demo):
    """Upgrade the database, deploy the shipped models, and load demo data on first start."""
    from flask_migrate import upgrade

    from app.services.deployment import deploy_dirs
    from app.services.demo_seed import seed_demo

    upgrade()
    s = _settings()
    with unit_of_work(db.session):
        first = db.session.execute(select(func.count(Org.id))).scalar_one() == 0
        creds = seed_demo(db.session, clock.now()) if demo and first else {}
        for r in deploy_dirs(db.session, Actor.system("bootstrap"), clock.now(), s.bpmn_dir, s.forms_dir):
            click.echo(f"{r.key} v{r.version} {'deployed' if r.created else 'unchanged'}")
    if creds:
        path = Path(s.instance_path) / "demo-credentials.json"
        path.write_text(json.dumps(creds, ensure_ascii=False, indent=2))
        path.chmod(0o600)
        click.echo(f"demo data loaded; {len(creds)} users, credentials in {path}")


@users.command("create")
@click.argument("username")
@click.option("--role", required=True)
@click.option("--org", "org_code", required=True)
@click.option("--email", default=None, help="address for e-mail copies of notifications")
@click.option("--password", prompt=True, hide_input=True, confirmation_prompt=True)
def users_create(username, role, org_code, email, password):
    from app.services.accounts import create_user

    try:
        with unit_of_work(db.session):
            create_user(db.session, clock.now(), username, password, role, org_code, email=email)
    except DomainError as exc:
        raise click.ClickException(f"{exc.message} {getattr(exc, 'errors', '')}")
    click.echo(f"user {username} created")


@users.command("token")
@click.argument("username")
@click.option("--name", default="cli")
def users_token(username, name):
    """Issue an API token (shown once; only its hash is stored)."""
    from app.services.accounts import issue_token

    try:
        with unit_of_work(db.session):
            token = issue_token(db.session, clock.now(), username, name)
    except DomainError as exc:
        raise click.ClickException(exc.message)
    click.echo(token)


@audit_cli.command("verify")
def audit_verify():
    """Recompute every audit hash chain (one per case, per case-less instance, and the system's)."""
    from app.services.audit import verify_chain

    report = verify_chain(db.session)
    db.session.rollback()
    if not report.ok:
        raise click.ClickException(f"audit chain {report.broken_chain} broken at seq {report.broken_seq} "
                                   f"({report.events} events read)")
    click.echo(f"audit chains ok: {report.events} events in {report.chains} chains")


calendar_cli = AppGroup("calendar", help="Working-day calendar.")


@calendar_cli.command("import")
@click.argument("year", type=int)
@click.argument("file", type=click.File("r", encoding="utf-8"))
@click.option("--doc", "source_doc", required=True, help="document number of the State Council notice")
@click.option("--dry-run", is_flag=True, help="show the deadlines that would move, change nothing")
def calendar_import(year, file, source_doc, dry_run):
    """Load YEAR's holidays and make-up workdays from FILE ('YYYY-MM-DD holiday|workday [note]' per line);
    open deadlines are recomputed and the differences listed."""
    from app.services.calendar_admin import import_year
    from app.services.engine_context import EngineContext

    text = file.read()
    try:
        with unit_of_work(db.session):
            r = import_year(EngineContext.load(db.session, clock.now()), Actor.system("calendar-cli"), year, text,
                            source_doc)
            for c in r.changes:
                old = clock.local(c.old_due).strftime("%Y-%m-%d") if c.old_due else "-"
                new = clock.local(c.new_due).strftime("%Y-%m-%d") if c.new_due else "provisional"
                click.echo(f"  case {c.case_id} {c.task}: {old} -> {new} {c.note}")
            if dry_run:
                raise _DryRun()
    except _DryRun:
        click.echo(f"dry run: {len(r.changes)} deadline(s) would move; nothing changed")
        return
    except DomainError as exc:
        raise click.ClickException(f"{exc.message} {getattr(exc, 'errors', '')}")
    click.echo(f"{r.year}: {r.holidays} holidays, {r.workdays} make-up workdays loaded; "
               f"{len(r.changes)} open deadline(s) recomputed")


class _DryRun(Exception):
    """Raised inside the unit of work to roll a preview back."""


@calendar_cli.command("status")
def calendar_status():
    """Which years are covered, and the December warning if next year is missing."""
    from app.services.calendar_source import load_calendar

    cal = load_calendar(db.session)
    db.session.rollback()
    click.echo("covered years: " + ", ".join(str(y) for y in cal.covered_years()))
    warning = cal.coverage_warning(clock.local(clock.now()).date())
    if warning:
        click.echo("WARNING: " + warning)


lvyue.add_command(users)
lvyue.add_command(calendar_cli)
lvyue.add_command(audit_cli)
from app.cli import scheduler_cmd as _scheduler_cmd  # noqa: E402,F401  (registers `lvyue scheduler`)


def register_cli(app: Flask) -> None:
    app.cli.add_command(lvyue)
