#!/usr/bin/env python3
"""Server time of the inbox and the case page with N cases (default 100,000) in the database.

For each database (SQLite file, PostgreSQL schema) the script fills it with `generate_cases.py`
(or reuses a database it filled before, `--reuse`), picks the demo handler whose org holds the most
ready tasks, and measures, each over --requests requests (default 60) after 5 warm-up requests:

  inbox first page            tab "all", no filter
  inbox filtered              stage = verification, tab = overdue
  inbox searched: enterprise  q = an enterprise name or part of one (rotating)
  inbox searched: case no     q = a case number of the org (rotating)
  case page                   one of the org's cases (rotating)
  task page                   one of the org's ready tasks (rotating), where that page exists

in two ways:
  query   the read functions in-process, one read transaction each, as a request runs them:
          app.queries.inbox.inbox, app.queries.cases.case_by_no + case_detail (and
          app.queries.case_page.case_page when it exists);
  http    through the Flask test client signed in as the handler (POST /login), when the routes
          /inbox and /cases/<case_no> exist: routing, session, the query, templates.

Server time only (no network). SQL statements are counted per request with SQLAlchemy cursor
events: the count must not depend on the number of cases or of rows shown. Goal (issue 3): inbox
p95 <= 50 ms with 100k cases. Nothing is asserted.

    .venv/bin/python bench/inbox_pages.py                          # 100k cases, sqlite and postgres
    .venv/bin/python bench/inbox_pages.py --reuse --db postgres --pg-url postgresql://postgres@127.0.0.1:5432/bench_d
    .venv/bin/python bench/inbox_pages.py -n 2000 --requests 10 --db sqlite --no-json   # smoke run
"""
from __future__ import annotations

import argparse
import re
import sys
import tempfile
import time
from pathlib import Path
from urllib.parse import quote, urlsplit, urlunsplit

sys.path.insert(0, str(Path(__file__).resolve().parent))
import common  # noqa: E402
import generate_cases  # noqa: E402

sys.path.insert(0, str(common.ROOT))

SCHEMA = "bench_inbox"
GOAL_INBOX_P95_MS = 50.0
WARMUP = 5


# -- databases ----------------------------------------------------------------------------------------

def pg_url(base: str) -> str:
    """base URL's database (created if missing) with search_path = bench_inbox."""
    import psycopg
    from psycopg import sql

    base = base.replace("postgresql+psycopg://", "postgresql://", 1)
    parts = urlsplit(base)
    dbname = parts.path.lstrip("/") or "lvyue_bench"
    if dbname == "test":
        raise SystemExit("refusing to benchmark in the database named 'test'")
    maintenance = urlunsplit((parts.scheme, parts.netloc, "/postgres", "", ""))
    with psycopg.connect(maintenance, autocommit=True, connect_timeout=5) as conn:
        if not conn.execute("SELECT 1 FROM pg_database WHERE datname = %s", (dbname,)).fetchone():
            conn.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(dbname)))
    return urlunsplit((parts.scheme, parts.netloc, "/" + dbname, f"options=-csearch_path%3D{SCHEMA}", ""))


def existing_cases(url: str) -> int:
    from sqlalchemy import create_engine, text

    engine = create_engine(url.replace("postgresql://", "postgresql+psycopg://", 1))
    try:
        with engine.connect() as conn:
            return conn.execute(text("SELECT count(*) FROM cases")).scalar_one()
    except Exception:  # noqa: BLE001 - no schema yet
        return -1
    finally:
        engine.dispose()


def prepare(db: str, n: int, args) -> tuple[str, dict, float | None]:
    """URL of a database holding n generated cases, the demo credentials, generation seconds."""
    if db == "sqlite":
        path = Path(args.sqlite_path or common.RESULTS / f"inbox-{n}.db").resolve()
        path.parent.mkdir(parents=True, exist_ok=True)
        url = f"sqlite:///{path}"
    else:
        url = pg_url(args.pg_url)
    creds = generate_cases.load_credentials(args.credentials, url)
    if args.reuse and creds and existing_cases(url) == n:
        print(f"[{db}] reusing {n} cases in {common.redact(url)}", flush=True)
        return url, creds, None
    print(f"[{db}] generating {n} cases in {common.redact(url)} ...", flush=True)
    result = generate_cases.generate(url, n, reset=True, open_share=args.open_share,
                                     log=lambda m: print(f"[{db}] {m}", flush=True))
    generate_cases.save_credentials(args.credentials, url, result["credentials"])
    print(f"[{db}] generated in {result['seconds']} s", flush=True)
    return url, result["credentials"], result["seconds"]


# -- measuring ----------------------------------------------------------------------------------------

class PageError(Exception):
    pass


class StatementCounter:
    def __init__(self, engine):
        from sqlalchemy import event

        self.on, self.count, self.captured = False, 0, []
        event.listen(engine, "before_cursor_execute", self._seen)

    def _seen(self, conn, cursor, statement, params, context, executemany):
        if self.on:
            self.count += 1
            self.captured.append((statement, params))


def measure(fn, requests: int, counter: StatementCounter) -> dict:
    """Run fn(i) WARMUP + requests times; time the measured ones and count their statements."""
    for i in range(WARMUP):
        fn(i)
    times, statements, rows = [], [], []
    for i in range(requests):
        counter.on, counter.count, counter.captured = True, 0, []
        t0 = time.perf_counter()
        shown = fn(WARMUP + i)
        times.append(time.perf_counter() - t0)
        counter.on = False
        statements.append(counter.count)
        rows.append(shown)
    out = common.summary_ms(times)
    out.update(statements_min=min(statements), statements_max=max(statements),
               rows_min=min(rows), rows_max=max(rows))
    return out


def _routes(app) -> set[str]:
    return {r.rule for r in app.url_map.iter_rules()}


def _login(client, username: str, password: str) -> None:
    page = client.get("/login")
    token = re.search(r'name="csrf_token"[^>]*value="([^"]+)"', page.get_data(as_text=True))
    data = {"username": username, "password": password}
    if token:
        data["csrf_token"] = token.group(1)
    resp = client.post("/login", data=data)
    if resp.status_code not in (302, 303):
        raise SystemExit(f"sign-in as {username} failed: HTTP {resp.status_code}")


def scope_facts(session, actor) -> dict:
    """The handler's ready tasks, cases and search terms sampled from them."""
    import random

    from sqlalchemy import func, select

    from app.models import Case, ReadyTask

    scope = (ReadyTask.role == actor.role, ReadyTask.org_id == actor.org_id)
    total = session.execute(select(func.count()).select_from(ReadyTask).where(*scope)).scalar_one()
    sample = session.execute(
        select(Case.case_no, Case.complainant_name, ReadyTask.id).join(ReadyTask, ReadyTask.case_id == Case.id)
        .where(*scope).order_by(Case.id).limit(5000)).all()
    rng = random.Random(7)
    picked = rng.sample(sample, min(60, len(sample)))
    case_nos = [c for c, _n, _t in picked]
    task_ids = [t for _c, _n, t in picked]
    words = generate_cases.WORDS[:]
    rng.shuffle(words)
    names = []
    for i, (_c, name, _t) in enumerate(picked[:30]):  # whole names and parts of names, alternating
        names.append(name if i % 2 == 0 else words[i % len(words)])
    cases_total = session.execute(select(func.count()).select_from(Case)).scalar_one()
    return {"ready_tasks": total, "cases": cases_total, "case_nos": case_nos, "task_ids": task_ids, "names": names}


def busiest_handler(session) -> str:
    from sqlalchemy import func, select

    from app.models import ReadyTask, User

    counts = dict(session.execute(select(ReadyTask.org_id, func.count()).where(ReadyTask.role == "handler")
                                  .group_by(ReadyTask.org_id)).all())
    handlers = session.execute(select(User.username, User.org_id).where(User.role == "handler")
                               .order_by(User.id)).all()
    demo = [(counts.get(org_id, 0), username) for username, org_id in handlers if not username[-1].isdigit()]
    return max(demo)[1]


def run_db(db: str, n: int, args) -> dict:
    from sqlalchemy import select

    from app import clock
    from app.db import db as fsa
    from app.db_events import read_only
    from app.models import User
    from app.queries.cases import case_by_no, case_detail
    from app.queries.inbox import inbox
    from app.services.accounts import actor_for

    try:
        from app.queries.case_page import case_page as case_page_query
        from app.queries.case_page import task_view as task_view_query
    except ImportError:  # the pages' own queries are not there
        case_page_query = task_view_query = None

    url, creds, generated_s = prepare(db, n, args)
    tmp = tempfile.TemporaryDirectory(prefix=f"lvyue-inbox-{db}-")
    try:
        app = generate_cases.make_app(url, tmp.name)
        results = []
        with app.app_context():
            session = fsa.session
            counter = StatementCounter(fsa.engine)
            username = args.user or busiest_handler(session)
            user = session.execute(select(User).where(User.username == username)).scalar_one()
            actor = actor_for(user)
            facts = scope_facts(session, actor)
            session.rollback()
            print(f"[{db}] {facts['cases']} cases; signed in as {username} ({actor.org_code}): "
                  f"{facts['ready_tasks']} ready tasks", flush=True)
            case_nos, names, task_ids = facts["case_nos"], facts["names"], facts["task_ids"]

            def read(fn):
                def run(i):
                    with read_only():
                        try:
                            return fn(i)
                        finally:
                            session.rollback()
                return run

            def inbox_rows(**kw):
                return lambda i: len(inbox(session, actor, clock.now(), **kw).rows)

            direct = [
                ("inbox first page", read(inbox_rows())),
                ("inbox filtered (stage+overdue)", read(inbox_rows(stage="verification", tab="overdue"))),
                ("inbox searched: enterprise",
                 read(lambda i: len(inbox(session, actor, clock.now(), q=names[i % len(names)]).rows))),
                ("inbox searched: case no",
                 read(lambda i: len(inbox(session, actor, clock.now(), q=case_nos[i % len(case_nos)]).rows))),
                ("case detail (queries.cases)", read(lambda i: len(
                    case_detail(session, case_by_no(session, actor, case_nos[i % len(case_nos)]))["history"]))),
            ]
            if case_page_query is not None:
                direct.append(("case page (queries.case_page)", read(lambda i: len(case_page_query(
                    session, actor, clock.now(), case_by_no(session, actor, case_nos[i % len(case_nos)])).events))))
                direct.append(("task page (queries.case_page)", read(lambda i: (
                    task_view_query(session, actor, clock.now(), task_ids[i % len(task_ids)]) and 1))))
            for name, fn in direct:
                r = measure(fn, args.requests, counter)
                results.append({"db": db, "mode": "query", "page": name, **r})
                print_row(results[-1])

            routes = _routes(app)
            if {"/inbox", "/cases/<case_no>", "/login"} <= routes and not args.no_http:
                client = app.test_client()
                _login(client, username, creds[username]["password"])

                def get(path_of):
                    def run(i):
                        resp = client.get(path_of(i))
                        if resp.status_code != 200:
                            raise PageError(f"GET {path_of(i)} answered {resp.status_code}")
                        return resp.get_data(as_text=True).count('href="/tasks/')
                    return run

                http = [
                    ("inbox first page", get(lambda i: "/inbox")),
                    ("inbox filtered (stage+overdue)", get(lambda i: "/inbox?tab=overdue&stage=verification")),
                    ("inbox searched: enterprise", get(lambda i: "/inbox?q=" + quote(names[i % len(names)]))),
                    ("inbox searched: case no", get(lambda i: "/inbox?q=" + quote(case_nos[i % len(case_nos)]))),
                    ("case page", get(lambda i: "/cases/" + case_nos[i % len(case_nos)])),
                ]
                if "/tasks/<task_id>" in routes:
                    http.append(("task page", get(lambda i: "/tasks/" + task_ids[i % len(task_ids)])))
                for name, fn in http:
                    try:
                        r = measure(fn, args.requests, counter)
                    except PageError as exc:  # report and go on with the other pages
                        counter.on = False
                        print(f"[{db}] http {name}: {exc}", flush=True)
                        results.append({"db": db, "mode": "http", "page": name, "error": str(exc)})
                        continue
                    results.append({"db": db, "mode": "http", "page": name, **r})
                    print_row(results[-1])
            else:
                print(f"[{db}] HTTP skipped: routes /inbox and /cases/<case_no> not both present"
                      if not args.no_http else f"[{db}] HTTP skipped (--no-http)", flush=True)
            if args.explain:
                explain(session, actor, counter, db)
            session.remove()
            fsa.engine.dispose()
        return {"db": db, "url": common.redact(url), "cases": facts["cases"], "user": username,
                "ready_tasks": facts["ready_tasks"], "generated_s": generated_s, "results": results}
    finally:
        tmp.cleanup()


def explain(session, actor, counter, db: str) -> None:
    """Plans of the inbox statements (filtered tab + search), as the database runs them."""
    from app import clock
    from app.db_events import read_only
    from app.queries.inbox import inbox

    for label, kw in (("first page", {}), ("filtered", {"stage": "verification", "tab": "overdue"}),
                      ("searched", {"q": "禾丰"})):
        with read_only():
            counter.on, counter.captured = True, []
            inbox(session, actor, clock.now(), **kw)
            counter.on = False
            captured = counter.captured[-2:]
            prefix = "EXPLAIN (ANALYZE, BUFFERS) " if db == "postgres" else "EXPLAIN QUERY PLAN "
            conn = session.connection()
            for statement, params in captured:
                plan = conn.exec_driver_sql(prefix + statement, params).all()
                print(f"\n[{db}] plan, inbox {label}:")
                for row in plan:
                    print("   ", row[-1] if db == "sqlite" else row[0])
            session.rollback()


# -- output -------------------------------------------------------------------------------------------

HEADER = f"{'db':9s} {'mode':5s} {'page':32s} {'n':>4s} {'median':>7s} {'p95':>7s} {'max':>7s} {'stmts':>6s} {'rows':>6s}"


def print_row(r: dict) -> None:
    stm = (f"{r['statements_min']}" if r["statements_min"] == r["statements_max"]
           else f"{r['statements_min']}-{r['statements_max']}")
    rows = f"{r['rows_min']}" if r["rows_min"] == r["rows_max"] else f"{r['rows_min']}-{r['rows_max']}"
    print(f"{r['db']:9s} {r['mode']:5s} {r['page']:32s} {r['n']:>4d} {common.fmt(r['median_ms'], 7)} "
          f"{common.fmt(r['p95_ms'], 7)} {common.fmt(r['max_ms'], 7)} {stm:>6s} {rows:>6s}", flush=True)


def print_table(runs: list[dict]) -> None:
    print("\nserver time per request in ms (median, p95, max); SQL statements per request; rows = inbox rows,"
          " case history entries, or task links on the page")
    print(HEADER)
    for run in runs:
        for r in run.get("results", []):
            if "error" in r:
                print(f"{r['db']:9s} {r['mode']:5s} {r['page']:32s} error: {r['error']}")
            else:
                print_row(r)


def goals(runs: list[dict]) -> list[dict]:
    out = []
    for run in runs:
        if "skipped" in run:
            out.append({"db": run["db"], "goal": f"inbox p95 <= {GOAL_INBOX_P95_MS:g} ms", "status": "SKIP",
                        "value": None, "unit": "ms", "detail": run["skipped"]})
            continue
        rows = run.get("results", [])
        mode = "http" if any(r["mode"] == "http" and "error" not in r for r in rows) else "query"
        inbox_rows = [r for r in rows if r["mode"] == mode and r["page"].startswith("inbox") and "error" not in r]
        if not inbox_rows:
            continue
        worst = max(inbox_rows, key=lambda r: r["p95_ms"])
        out.append({"db": run["db"], "goal": f"inbox p95 <= {GOAL_INBOX_P95_MS:g} ms ({run['cases']} cases, {mode})",
                    "value": worst["p95_ms"], "unit": "ms", "page": worst["page"],
                    "status": "PASS" if worst["p95_ms"] <= GOAL_INBOX_P95_MS else "MISS"})
    return out


def main(argv=None) -> dict:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("-n", "--n", type=int, default=100_000, help="cases in the database (default 100000)")
    ap.add_argument("--requests", type=int, default=60, help="measured requests per page (default 60)")
    ap.add_argument("--db", default="sqlite,postgres")
    ap.add_argument("--reuse", action="store_true", help="keep a database generated before with the same -n")
    ap.add_argument("--open-share", type=float, default=0.35, help="share of open cases when generating (0.35)")
    ap.add_argument("--sqlite-path", default=None, help="SQLite file (default bench/results/inbox-<n>.db)")
    ap.add_argument("--pg-url", default=None,
                    help="PostgreSQL database to work in (created if missing; schema bench_inbox). Default: "
                         "database lvyue_bench on the server of LVYUE_BENCH_POSTGRES_URL (else 127.0.0.1:5432)")
    ap.add_argument("--credentials", type=Path, default=generate_cases.DEFAULT_CREDENTIALS)
    ap.add_argument("--user", default=None, help="demo handler to sign in as (default: the busiest org's)")
    ap.add_argument("--no-http", action="store_true", help="measure the query functions only")
    ap.add_argument("--explain", action="store_true", help="print the inbox statements' query plans")
    ap.add_argument("--no-json", action="store_true")
    a = ap.parse_args(argv)
    if a.pg_url is None:
        parts = urlsplit(common.pg_base_url())
        a.pg_url = urlunsplit((parts.scheme, parts.netloc, "/" + common.BENCH_DB, "", ""))
    facts = common.machine_facts()
    print(f"machine: {facts['nproc']} CPU(s), {facts['cpu_model']}, Python {facts['python']}, "
          f"load avg {facts['loadavg_at_start']}", flush=True)
    print(HEADER, flush=True)
    runs = []
    for db in [x.strip() for x in a.db.split(",") if x.strip()]:
        if db == "postgres":
            try:
                pg_url(a.pg_url)
            except Exception as exc:  # noqa: BLE001 - unreachable: report and go on
                why = f"{type(exc).__name__}: {exc}".strip()
                print(f"[postgres] skipped: {why}")
                runs.append({"db": db, "skipped": why})
                continue
        runs.append(run_db(db, a.n, a))
    print_table(runs)
    g = goals(runs)
    print("\ngoals")
    for row in g:
        detail = f"{row['value']:.1f} ms (worst: {row['page']})" if row["value"] is not None else row["detail"]
        print(f"  {row['status']:4s}  {row['db']:9s} {row['goal']:48s} {detail}")
    out = {"benchmark": "inbox_pages", "machine": facts, "n": a.n, "open_share": a.open_share, "requests": a.requests,
           "runs": runs, "goals": g}
    if not a.no_json:
        print(f"\nJSON: {common.write_results('inbox_pages', out)}")
    return out


if __name__ == "__main__":
    main()
