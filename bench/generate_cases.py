#!/usr/bin/env python3
"""Put N complaint cases (default 100,000) into a database fast, for page benchmarks at scale.

The schema is built by the migrations, the demo directory, users and shipped models are loaded,
and ONE real complaint is filed through the services; its workflow state is the template every
generated instance carries (valid state JSON of the real lifecycle model). The other N-1 cases are
written with SQLAlchemy Core bulk inserts: cases, process instances, ready tasks (the projection
the inbox reads), the completed-task log, waiting timers of rectification tasks and a valid
hash-chained audit trail per case (what the case page reads).

The data follow the demo set-up (GLOSSARY): respondents from the Bengbu directory routed to their
verifying org (属地管理、谁主管谁负责), channels with their accepting units, stages weighted like a
running year, due dates from the real due rules on the working-day calendar (about a quarter of
the running clocks overdue), some tasks claimed. 35 % of the cases are open (--open-share): a
backlog in which each demo handler org holds thousands of ready tasks (the city government, which
verifies complaints against every city department, about 12,000 of 100,000).

    .venv/bin/python bench/generate_cases.py sqlite:///bench/results/cases.db -n 100000 --reset
    .venv/bin/python bench/generate_cases.py postgresql://postgres@127.0.0.1:5432/bench_d --reset

A PostgreSQL URL may select a schema with `?options=-csearch_path%3D<schema>`; --reset drops and
recreates that schema (or the SQLite file). Without --reset the database must be empty.
Credentials of the demo users are written to --credentials (JSON, default next to the results).
"""
from __future__ import annotations

import argparse
import json
import random
import sys
import tempfile
import time
import uuid
from pathlib import Path
from urllib.parse import parse_qs, unquote, urlsplit

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "bench"))

from case_rows import Generator  # noqa: E402
from case_tables import TEMPLATE_COMPLAINT, WORDS  # noqa: E402,F401  (inbox_pages takes WORDS from here)


# -- database set-up ---------------------------------------------------------------------------------

def make_app(url: str, instance: str | None = None):
    from app import create_app
    from app.config import Settings

    settings = Settings(database_url=url, instance_path=instance or tempfile.mkdtemp(prefix="lvyue-gen-"),
                        secret_key="bench-" + uuid.uuid4().hex)
    settings.finish()
    return create_app(settings)


def _pg_schema(url: str) -> str:
    options = parse_qs(urlsplit(url).query).get("options", [""])[0]
    for part in unquote(options).split():
        if part.startswith("-csearch_path="):
            return part.split("=", 1)[1].split(",")[0]
    return "public"


def reset_database(url: str) -> None:
    """Empty the target: delete the SQLite file, or drop and recreate the PostgreSQL schema."""
    if url.startswith("sqlite"):
        path = Path(url.split(":///", 1)[1])
        for p in (path, path.with_name(path.name + "-wal"), path.with_name(path.name + "-shm")):
            p.unlink(missing_ok=True)
        path.parent.mkdir(parents=True, exist_ok=True)
        return
    from sqlalchemy import create_engine, text

    schema = _pg_schema(url)
    if not schema.replace("_", "").isalnum():
        raise SystemExit(f"refusing odd schema name {schema!r}")
    engine = create_engine(url.replace("postgresql://", "postgresql+psycopg://", 1))
    with engine.begin() as conn:
        conn.execute(text(f'DROP SCHEMA IF EXISTS "{schema}" CASCADE'))
        conn.execute(text(f'CREATE SCHEMA "{schema}"'))
    engine.dispose()


def _prepare(app, colleagues: int) -> dict:
    """Migrate, seed the demo directory and users, deploy the shipped models, add colleagues."""
    from flask_migrate import upgrade
    from sqlalchemy import func, select

    from app import clock
    from app.config import ROOT as APP_ROOT
    from app.db import db, unit_of_work
    from app.models import Case
    from app.policy import Actor
    from app.services.accounts import create_user
    from app.services.demo_seed import DEMO_USERS, seed_demo
    from app.services.deployment import deploy_dirs

    upgrade()
    if db.session.execute(select(func.count(Case.id))).scalar_one():
        raise SystemExit("the database already holds cases; use --reset")
    with unit_of_work(db.session):
        creds = seed_demo(db.session, clock.now())
        deploy_dirs(db.session, Actor.system("generate_cases"), clock.now(), APP_ROOT / "bpmn", APP_ROOT / "forms")
        for username, (role, org_code) in DEMO_USERS.items():
            if role != "handler":
                continue
            for i in range(1, colleagues + 1):
                create_user(db.session, clock.now(), f"{username}_{i}", uuid.uuid4().hex, role, org_code,
                            display_name=f"{username} 同事{i}")
    return creds


def _template_case() -> tuple[dict, str, str]:
    """File one real complaint through the services; its state JSON is every instance's template."""
    from sqlalchemy import select

    from app import clock
    from app.db import db, unit_of_work
    from app.models import ProcessInstance, User
    from app.services import intake
    from app.services.accounts import actor_for
    from app.services.engine_context import EngineContext

    with unit_of_work(db.session):
        user = db.session.execute(select(User).where(User.username == "intake_12345")).scalar_one()
        result = intake.register_complaint(EngineContext.load(db.session, clock.now()), actor_for(user),
                                           TEMPLATE_COMPLAINT)
        instance = db.session.get(ProcessInstance, result.case.instance_id)
        return dict(instance.data), instance.state_json, instance.serializer_version


INSERT_ORDER = ("process_instances", "cases", "ready_tasks", "timers", "task_log", "audit_events", "audit_chains")
SERIAL_TABLES = ("process_instances", "cases", "timers", "task_log", "audit_events")


def _flush(conn, tables, rows: dict[str, list]) -> None:
    from sqlalchemy import insert

    for name in INSERT_ORDER:
        if rows.get(name):
            conn.execute(insert(tables[name]), rows[name])


def generate(url: str, n: int = 100_000, *, seed: int = 20261203, reset: bool = False, batch: int = 2000,
             colleagues: int = 2, open_share: float = 0.35, log=print) -> dict:
    """Fill the database at `url` with n cases (one real, n-1 generated). Returns the demo credentials
    and what was written."""
    from sqlalchemy import func, select, text, update

    from app import clock
    from app.db import Base, db
    from app.models import CaseSequence, ProcessDefinition, User
    from app.services.reference_cache import reference_data

    t0 = time.perf_counter()
    if reset:
        reset_database(url)
    app = make_app(url)
    with app.app_context():
        creds = _prepare(app, colleagues)
        template_data, state_json, serializer_version = _template_case()
        directory, calendar = reference_data(db.session)
        definition_id = db.session.execute(select(ProcessDefinition.id).where(
            ProcessDefinition.key == "breach_complaint").order_by(ProcessDefinition.version.desc())).scalars().first()
        users: dict = {}
        for uid, username, role, org_id in db.session.execute(
                select(User.id, User.username, User.role, User.org_id).order_by(User.id)):
            users.setdefault((role, org_id), []).append((uid, username))
        tables = {t.name: t for t in Base.metadata.sorted_tables}
        next_ids = {}
        for name in SERIAL_TABLES:
            next_ids[name] = (db.session.execute(select(func.max(tables[name].c.id))).scalar() or 0) + 1
        db.session.rollback()
        now = clock.now()
        gen = Generator(random.Random(seed), now, directory, calendar, users, definition_id, state_json,
                        serializer_version, template_data, next_ids, open_share)
        gen.case_seq[clock.local(now).year] = 1  # the real template case took number 1 of this year
        engine = db.engine
        log(f"generating {n - 1} cases (+1 real) into {engine.url.render_as_string(hide_password=True)} ...")
        for start in range(1, n, batch):
            for i in range(start, min(start + batch, n)):
                gen.add_case(i)
            with engine.begin() as conn:
                _flush(conn, tables, gen.take())
            if (start // batch) % 10 == 0:
                log(f"  {min(start + batch, n)} cases, {time.perf_counter() - t0:.0f} s")
        with engine.begin() as conn:
            for year, last in gen.case_seq.items():
                if conn.execute(select(CaseSequence.year).where(CaseSequence.year == year)).first():
                    conn.execute(update(CaseSequence).where(CaseSequence.year == year).values(last_no=last))
                else:
                    conn.execute(tables["case_sequences"].insert().values(year=year, last_no=last))
            if engine.dialect.name == "postgresql":
                for name in SERIAL_TABLES:
                    conn.execute(text(f"SELECT setval(pg_get_serial_sequence('{name}', 'id'), "
                                      f"(SELECT COALESCE(MAX(id), 1) FROM {name}))"))
        if engine.dialect.name == "postgresql":
            with engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
                conn.execute(text("VACUUM ANALYZE"))
        else:
            with engine.begin() as conn:
                conn.execute(text("ANALYZE"))
        counts = {name: db.session.execute(select(func.count()).select_from(tables[name])).scalar_one()
                  for name in INSERT_ORDER}
        db.session.remove()
        engine.dispose()
    elapsed = time.perf_counter() - t0
    return {"url": url, "cases": n, "seconds": round(elapsed, 1), "rows": counts, "credentials": creds,
            "ready_by_org": dict(sorted(gen.ready_by_org.items(), key=lambda kv: -kv[1]))}


def save_credentials(path: Path, url: str, creds: dict) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    existing = json.loads(path.read_text()) if path.exists() else {}
    existing[url] = creds
    path.write_text(json.dumps(existing, ensure_ascii=False, indent=2))
    path.chmod(0o600)


def load_credentials(path: Path, url: str) -> dict | None:
    if not path.exists():
        return None
    return json.loads(path.read_text()).get(url)


DEFAULT_CREDENTIALS = ROOT / "bench" / "results" / "generated-credentials.json"


def main(argv=None) -> dict:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("url", help="sqlite:///PATH or postgresql://… (optionally ?options=-csearch_path%%3Dschema)")
    ap.add_argument("-n", "--n", type=int, default=100_000, help="cases in total (default 100000)")
    ap.add_argument("--seed", type=int, default=20261203)
    ap.add_argument("--batch", type=int, default=2000, help="cases per insert transaction")
    ap.add_argument("--open-share", type=float, default=0.35, help="share of open cases (default 0.35)")
    ap.add_argument("--reset", action="store_true", help="delete the SQLite file / recreate the PostgreSQL schema")
    ap.add_argument("--credentials", type=Path, default=DEFAULT_CREDENTIALS)
    a = ap.parse_args(argv)
    if a.n < 1:
        ap.error("-n must be at least 1")
    result = generate(a.url, a.n, seed=a.seed, reset=a.reset, batch=a.batch, open_share=a.open_share)
    save_credentials(a.credentials, a.url, result["credentials"])
    print(f"{result['cases']} cases in {result['seconds']} s; rows: "
          + ", ".join(f"{k} {v}" for k, v in result["rows"].items()))
    print("ready tasks per lane:org  " + ", ".join(f"{k} {v}" for k, v in list(result["ready_by_org"].items())[:12]))
    print(f"demo credentials: {a.credentials}")
    return result


if __name__ == "__main__":
    main()
