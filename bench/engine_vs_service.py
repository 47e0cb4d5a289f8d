#!/usr/bin/env python3
"""Engine vs service layer vs in-process request, on the approval3 workload, in one process.

(a) engine   : bare persisted engine step, no database: `app.engine.Instance.load(state JSON)`
               -> `complete_task` -> `dump()`, with the spec restored once (as the app caches it).
(b) service  : our use case on a real database: `unit_of_work` around `EngineContext.load` +
               `services.tasks.complete_task` (lock, re-read, form validation, engine step,
               persist: state, projections, task log, hash-chained audit) + commit.
(c) request  : the same step through the Flask app in-process (test client, no HTTP server):
               auth by bearer token, the endpoint wrapper, JSON in/out and `next_tasks`.

(b) and (c) run on SQLite (temp file) and on PostgreSQL (schema `bench_evs` of the database
`lvyue_bench`) when reachable. Prints the median per step and the ratios (b)/(a), (c)/(a);
writes bench/results/engine_vs_service-*.json.

    .venv/bin/python bench/engine_vs_service.py [-n 100] [--db sqlite,postgres]
"""
from __future__ import annotations

import argparse
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
import common  # noqa: E402

sys.path.insert(0, str(common.ROOT))
PG_SCHEMA = "bench_evs"


# -- (a) bare engine -----------------------------------------------------------------------------
def bench_engine(n: int, time_limit: float) -> dict:
    from app.engine import Instance, ScriptEnvironment, build_package, dump_spec, load_spec
    from app.services.deployment import read_model_dir

    bpmn, dmn, _forms = read_model_dir(common.APPROVAL3, common.APPROVAL3)
    compiled = load_spec(dump_spec(build_package(bpmn, dmn).compile(common.PROCESS_KEY)), cache_key="bench-approval3")
    env = ScriptEnvironment({}, time_limit=2.0)
    step, load, complete, dump, start = [], [], [], [], []
    deadline = time.monotonic() + time_limit
    done = 0
    for _ in range(n):
        if time.monotonic() > deadline:
            break
        t0 = time.perf_counter()
        inst = Instance.start(compiled, {}, env)
        state = inst.dump()
        start.append(time.perf_counter() - t0)
        for data in common.STEPS:
            [task] = Instance.load(compiled, state, env).ready_tasks()  # untimed: the caller knows the id
            t0 = time.perf_counter()
            inst = Instance.load(compiled, state, env)
            t1 = time.perf_counter()
            inst.complete_task(task.id, data)
            t2 = time.perf_counter()
            state = inst.dump()
            t3 = time.perf_counter()
            step.append(t3 - t0)
            load.append(t1 - t0)
            complete.append(t2 - t1)
            dump.append(t3 - t2)
        assert Instance.load(compiled, state, env).is_completed
        done += 1
    return {"instances": done, "state_json_bytes": len(state), "start_and_dump": common.summary_ms(start),
            "step": common.summary_ms(step), "load": common.summary_ms(load),
            "complete_task": common.summary_ms(complete), "dump": common.summary_ms(dump)}


# -- (b) service layer and (c) in-process request ------------------------------------------------
def _make_app(url: str, instance_dir: str):
    from app import create_app
    from app.config import Settings

    s = Settings(database_url=url, instance_path=instance_dir, secret_key="bench-only-secret-key")
    s.finish()
    return create_app(s)


def _setup(app) -> dict:
    from flask_migrate import upgrade

    from app import clock
    from app.db import db, unit_of_work
    from app.policy import Actor
    from app.services.demo_seed import seed_demo
    from app.services.deployment import deploy_dirs

    with app.app_context():
        upgrade()
        with unit_of_work(db.session):
            creds = seed_demo(db.session, clock.now())
            deploy_dirs(db.session, Actor.system("bench"), clock.now(), common.ROOT / "bpmn", common.ROOT / "forms")
            deploy_dirs(db.session, Actor.system("bench"), clock.now(), common.APPROVAL3, common.APPROVAL3)
        db.session.remove()
    return creds


def bench_service(app, n: int, time_limit: float) -> dict:
    from sqlalchemy import select

    from app import clock
    from app.db import db, unit_of_work
    from app.models import ReadyTask, User
    from app.services import tasks as task_service, workflow
    from app.services.accounts import actor_for
    from app.services.definitions import latest as latest_definition
    from app.services.engine_context import EngineContext

    step, ctx_load, service, commit, start = [], [], [], [], []
    deadline = time.monotonic() + time_limit
    done = 0
    with app.app_context():
        session = db.session
        owner = session.execute(select(User).where(User.username == "owner")).scalar_one()
        actor = actor_for(owner)
        session.remove()
        for _ in range(n):
            if time.monotonic() > deadline:
                break
            t0 = time.perf_counter()
            with unit_of_work(db.session) as s:
                ctx = EngineContext.load(s, clock.now())
                loaded = workflow.start(ctx, latest_definition(s, common.PROCESS_KEY), {}, actor)
                instance_id = loaded.row.id
            db.session.remove()
            start.append(time.perf_counter() - t0)
            for data in common.STEPS:
                s = db.session
                [task_id] = s.execute(select(ReadyTask.id).where(ReadyTask.instance_id == instance_id)).scalars().all()
                s.rollback()
                db.session.remove()
                s = db.session
                t0 = time.perf_counter()
                with unit_of_work(s):
                    ctx = EngineContext.load(s, clock.now())
                    t1 = time.perf_counter()
                    task_service.complete_task(ctx, actor, task_id, data)
                    t2 = time.perf_counter()
                t3 = time.perf_counter()
                db.session.remove()
                t4 = time.perf_counter()
                step.append(t4 - t0)
                ctx_load.append(t1 - t0)
                service.append(t2 - t1)
                commit.append(t3 - t2)
            done += 1
    return {"instances": done, "start": common.summary_ms(start), "step": common.summary_ms(step),
            "engine_context_load": common.summary_ms(ctx_load), "complete_task": common.summary_ms(service),
            "commit": common.summary_ms(commit)}


def bench_request(app, token: str, n: int, time_limit: float) -> dict:
    client = app.test_client()
    headers = {"Authorization": f"Bearer {token}"}
    start, step = [], []
    deadline = time.monotonic() + time_limit
    done = 0
    for _ in range(n):
        if time.monotonic() > deadline:
            break
        t0 = time.perf_counter()
        resp = client.post("/api/v1/process-instances", json={"process_key": common.PROCESS_KEY, "data": {}},
                           headers=headers)
        start.append(time.perf_counter() - t0)
        assert resp.status_code == 201, resp.get_data(as_text=True)
        for data in common.STEPS:
            [task] = resp.get_json()["next_tasks"]
            t0 = time.perf_counter()
            resp = client.post(f"/api/v1/tasks/{task['id']}/complete", json={"data": data}, headers=headers)
            step.append(time.perf_counter() - t0)
            assert resp.status_code == 200, resp.get_data(as_text=True)
        assert resp.get_json()["status"] == "completed"
        done += 1
    return {"instances": done, "start": common.summary_ms(start), "step": common.summary_ms(step)}


def bench_database(db: str, n: int, time_limit: float) -> dict:
    tmp = tempfile.TemporaryDirectory(prefix=f"lvyue-evs-{db}-")
    try:
        url = f"sqlite:///{Path(tmp.name) / 'lvyue.db'}" if db == "sqlite" else common.pg_bench_schema_url(PG_SCHEMA)
        app = _make_app(url, tmp.name)
        creds = _setup(app)
        out = {"db": db, "database_url": common.redact(url)}
        out["service"] = bench_service(app, n, time_limit)
        out["request"] = bench_request(app, creds["owner"]["api_token"], n, time_limit)
        from app.db import db as fsa

        with app.app_context():
            fsa.session.remove()
            fsa.engine.dispose()
        return out
    finally:
        tmp.cleanup()
        if db == "postgres":
            common.pg_drop_schema(PG_SCHEMA)


def _ratio(a, b):
    return round(a / b, 1) if a is not None and b else None


def print_report(res: dict) -> None:
    e = res["engine"]
    print("\nEngine vs service layer (approval3, median per completed user task, ms)")
    print(f"(a) bare engine  load {e['load']['median_ms']} + complete {e['complete_task']['median_ms']} + dump "
          f"{e['dump']['median_ms']} = step {e['step']['median_ms']} (p95 {e['step']['p95_ms']}); "
          f"state JSON {e['state_json_bytes']} bytes")
    head = f"{'db':9s} {'(a) engine':>10s} {'(b) service':>11s} {'(c) request':>11s} {'b/a':>6s} {'c/a':>6s}   (b) = ctx load + complete_task + commit"
    print(head)
    print("-" * len(head))
    for r in res["databases"]:
        if "skipped" in r:
            print(f"{r['db']:9s} skipped: {r['skipped']}")
            continue
        s, q = r["service"], r["request"]
        print(f"{r['db']:9s} {common.fmt(e['step']['median_ms'], 10, 2)} {common.fmt(s['step']['median_ms'], 11, 2)} "
              f"{common.fmt(q['step']['median_ms'], 11, 2)} {common.fmt(r['ratio_service_engine'], 6)} "
              f"{common.fmt(r['ratio_request_engine'], 6)}   = {s['engine_context_load']['median_ms']} + "
              f"{s['complete_task']['median_ms']} + {s['commit']['median_ms']}")


def parse_args(argv=None):
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("-n", "--n", type=int, default=100, help="instances (3 steps each) per measurement (default 100)")
    ap.add_argument("--db", default="sqlite,postgres", help="sqlite and/or postgres (default both)")
    ap.add_argument("--time-limit", type=float, default=120.0, help="seconds per measurement (default 120)")
    ap.add_argument("--no-json", action="store_true")
    a = ap.parse_args(argv)
    a.dbs = [x.strip() for x in a.db.split(",") if x.strip()]
    if a.n < 1 or any(d not in ("sqlite", "postgres") for d in a.dbs):
        ap.error("need n >= 1 and --db from sqlite,postgres")
    return a


def main(argv=None) -> dict:
    args = parse_args(argv)
    res = {"benchmark": "engine_vs_service", "machine": common.machine_facts(), "workload": common.PROCESS_KEY,
           "n": args.n, "databases": []}
    print("(a) bare engine ...", flush=True)
    res["engine"] = bench_engine(args.n, args.time_limit)
    for db in args.dbs:
        if db == "postgres":
            ok, why = common.pg_reachable()
            if not ok:
                print(f"[postgres] skipped: {why}")
                res["databases"].append({"db": db, "skipped": why})
                continue
        print(f"(b)+(c) {db} ...", flush=True)
        try:
            r = bench_database(db, args.n, args.time_limit)
        except Exception as exc:  # noqa: BLE001
            print(f"[{db}] FAILED: {type(exc).__name__}: {exc}")
            res["databases"].append({"db": db, "skipped": f"failed: {type(exc).__name__}: {exc}"[:500]})
            continue
        r["ratio_service_engine"] = _ratio(r["service"]["step"]["median_ms"], res["engine"]["step"]["median_ms"])
        r["ratio_request_engine"] = _ratio(r["request"]["step"]["median_ms"], res["engine"]["step"]["median_ms"])
        res["databases"].append(r)
    print_report(res)
    if not args.no_json:
        print(f"\nJSON: {common.write_results('engine_vs_service', res)}")
    return res


if __name__ == "__main__":
    main()
