#!/usr/bin/env python3
"""Timer sweep on PostgreSQL: N due timers fired by 1 and by 2 real scheduler processes, and the
cost of an idle tick with W waiting (not yet due) timers.

Workload: the scheduler test model `Process_sched_deadline` (tests/scheduler/models): a user task
with an interrupting PT1H boundary timer; firing it cancels the task, runs a script, throws the
signal `deadline_missed` (one outbox row, delivered by the same scheduler as an internal event)
and ends the instance. The `timeout` model is the same without the script and the signal. One real
instance is started an hour and a minute in the past and copied N-1 times with INSERT … SELECT
(`fill`): instance, ready task, timer and audit chain head, with fresh engine task UUIDs, so every
firing does what a real one does (cancel the user task, log it, chain its audit entry).

(1) sweep: for each process count, the schema is emptied and refilled, the schedulers are started
    (`flask lvyue scheduler`, tick 0.2 s) and idle, then the N rows are committed at once; the
    clock runs from that commit until no timer is pending (polled every 0.1 s).
    timers/s = N / elapsed; scaling = timers/s(2) / timers/s(1).
(2) idle tick: W waiting timers due in an hour; the sweep's due query
    (`services.timer_failures.due_instance_ids`, limit 1: the idle check) is timed in-process (median
    of 200) together with a whole idle `fire_due_timers` job pass, and its EXPLAIN (ANALYZE, BUFFERS)
    plan is printed.

Runs in schema `bench_timers` of the database `lvyue_bench` (bench/common.py); never the test DB.

    .venv/bin/python bench/timer_sweep.py [-n 10000] [--waiting 100000] [--processes 1,2] [--repeat 3]

Every setting runs --repeat times, interleaved; the goals are judged on the medians. Each run also
prints the CPU the scheduler processes and the PostgreSQL server spent per timer, the schedulers'
peak RSS and the hypervisor's steal time (this VM's neighbours make single runs vary by ±20 %).
"""
from __future__ import annotations

import argparse
import os
import signal
import statistics
import subprocess
import sys
import tempfile
import time
from datetime import datetime, timedelta, timezone
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
import common  # noqa: E402

sys.path.insert(0, str(common.ROOT))
PG_SCHEMA = "bench_timers"
MODELS = common.ROOT / "tests" / "scheduler" / "models"
MODEL_KEYS = {"timeout": "Process_sched_timeout", "deadline": "Process_sched_deadline"}
KEEP = {"orgs", "users", "api_tokens", "process_definitions", "alembic_version", "cache_versions"}
GOAL_TIMERS_PER_S = 200.0
GOAL_SCALING = 1.6


def make_app(url: str, instance: Path):
    from app import create_app
    from app.config import Settings

    settings = Settings(database_url=url, instance_path=str(instance), secret_key="bench-only-secret-key")
    settings.finish()
    return create_app(settings)


def prepare(app) -> None:
    from flask_migrate import upgrade

    from app import clock
    from app.db import db, unit_of_work
    from app.policy import Actor
    from app.services.deployment import deploy_dirs

    with app.app_context():
        upgrade()
        with unit_of_work(db.session):
            deploy_dirs(db.session, Actor.system("bench"), clock.now(), MODELS, MODELS)
        db.session.remove()


def empty(app) -> None:
    from sqlalchemy import text

    from app.db import Base, db

    with app.app_context():
        db.session.remove()
        tables = [t.name for t in Base.metadata.sorted_tables if t.name not in KEEP]
        with db.engine.begin() as conn:
            conn.execute(text("TRUNCATE " + ", ".join(tables) + " RESTART IDENTITY CASCADE"))


def fill(app, key: str, count: int, started_at: datetime) -> None:
    """One real instance started at `started_at` plus count-1 complete copies, one commit: each copy
    gets its own instance row, ready-task row, timer row and audit chain head, with fresh engine task
    UUIDs substituted into its state (so firing a copy cancels its own user task, writes its task
    log and appends to its own chain, exactly as the original does)."""
    import re

    import time_machine
    from sqlalchemy import text

    from app import clock
    from app.db import db, unit_of_work
    from app.models import ProcessInstance, ReadyTask, Timer
    from app.policy import Actor
    from app.services import definitions, workflow
    from app.services.engine_context import EngineContext

    def columns(model, *skip):
        return [c.name for c in model.__table__.c if c.name not in skip]

    with app.app_context():
        with time_machine.travel(started_at, tick=False), unit_of_work(db.session):
            ctx = EngineContext.load(db.session, clock.now())
            first = workflow.start(ctx, definitions.latest(db.session, key), {"fail_on_fire": False},
                                   Actor.system("bench")).row
            db.session.flush()
            uuids = sorted(set(re.findall(r"[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}",
                                          first.state_json)))
            fresh = ", ".join(f"gen_random_uuid()::text AS u{i}" for i in range(len(uuids)))
            db.session.execute(text(
                f"CREATE TEMP TABLE copy_map ON COMMIT DROP AS SELECT "
                f"nextval(pg_get_serial_sequence('process_instances', 'id')) AS id, {fresh} "
                f"FROM generate_series(1, :n)"), {"n": count - 1})
            state = "p.state_json"
            for i, old in enumerate(uuids):
                state = f"replace({state}, '{old}', m.u{i})"
            mapped = "CASE {col} " + " ".join(f"WHEN '{old}' THEN m.u{i}" for i, old in enumerate(uuids)) + " END"
            pi_cols = columns(ProcessInstance, "id", "state_json")
            db.session.execute(text(
                f"INSERT INTO process_instances (id, state_json, {', '.join(pi_cols)}) "
                f"SELECT m.id, {state}, {', '.join('p.' + c for c in pi_cols)} "
                f"FROM process_instances p, copy_map m WHERE p.id = :first"), {"first": first.id})
            t_cols = columns(Timer, "id", "instance_id", "task_id")
            db.session.execute(text(
                f"INSERT INTO timers (instance_id, task_id, {', '.join(t_cols)}) "
                f"SELECT m.id, {mapped.format(col='t.task_id')}, {', '.join('t.' + c for c in t_cols)} "
                f"FROM timers t, copy_map m WHERE t.instance_id = :first"), {"first": first.id})
            r_cols = columns(ReadyTask, "id", "instance_id")
            db.session.execute(text(
                f"INSERT INTO ready_tasks (id, instance_id, {', '.join(r_cols)}) "
                f"SELECT {mapped.format(col='r.id')}, m.id, {', '.join('r.' + c for c in r_cols)} "
                f"FROM ready_tasks r, copy_map m WHERE r.instance_id = :first"), {"first": first.id})
            db.session.execute(text(
                "INSERT INTO audit_chains (chain, seq, last_hash) SELECT 'instance:' || m.id, h.seq, h.last_hash "
                "FROM audit_chains h, copy_map m WHERE h.chain = 'instance:' || :first"), {"first": first.id})
        with db.engine.connect() as conn:
            conn.execution_options(isolation_level="AUTOCOMMIT").execute(text("ANALYZE"))
        db.session.remove()


def pending(app) -> int:
    from sqlalchemy import text

    from app.db import db

    with app.app_context():
        with db.engine.connect() as conn:
            return conn.execute(text("SELECT count(*) FROM timers WHERE fired_at IS NULL")).scalar_one()


def start_schedulers(url: str, instance: Path, count: int, log_dir: Path) -> list[subprocess.Popen]:
    env = dict(os.environ, LVYUE_DATABASE_URL=url, LVYUE_INSTANCE_PATH=str(instance),
               LVYUE_SECRET_KEY="bench-only-secret-key", LVYUE_SCHEDULER_TICK_SECONDS="0.2", PYTHONUNBUFFERED="1")
    procs = []
    for i in range(count):
        log = open(log_dir / f"scheduler-{count}-{i}.log", "wb")
        procs.append(subprocess.Popen(
            [sys.executable, "-m", "flask", "--app", "app:create_app", "lvyue", "scheduler", "--name", f"bench{i}"],
            cwd=common.ROOT, env=env, stdout=log, stderr=subprocess.STDOUT, start_new_session=True))
        log.close()
        procs[-1].log_path = log_dir / f"scheduler-{count}-{i}.log"
    deadline = time.monotonic() + 60
    while not all(" started (" in p.log_path.read_text(errors="replace") for p in procs):
        if time.monotonic() > deadline or any(p.poll() is not None for p in procs):
            stop(procs)
            raise RuntimeError("schedulers did not start: " + " | ".join(p.log_path.read_text() for p in procs))
        time.sleep(0.1)
    return procs


def stop(procs: list[subprocess.Popen]) -> None:
    for p in procs:
        if p.poll() is None:
            p.send_signal(signal.SIGTERM)
    for p in procs:
        try:
            p.wait(timeout=30)
        except subprocess.TimeoutExpired:
            p.kill()
            p.wait(timeout=10)


def sweep(app, url: str, instance: Path, key: str, n: int, processes: int, log_dir: Path, time_limit: float) -> dict:
    empty(app)
    procs = start_schedulers(url, instance, processes, log_dir)
    try:
        cpu0 = sum(common.proc_cpu_seconds(p.pid) for p in procs)
        pg0 = common.postgres_cpu_seconds()
        stat0 = common.cpu_times()
        fill(app, key, n, datetime.now(timezone.utc) - timedelta(hours=1, minutes=1))
        t0 = time.perf_counter()
        left = n
        while left and time.perf_counter() - t0 < time_limit:
            time.sleep(0.1)
            left = pending(app)
        elapsed = time.perf_counter() - t0
        cpu = sum(common.proc_cpu_seconds(p.pid) for p in procs) - cpu0
        pg_cpu = common.postgres_cpu_seconds() - pg0
        steal = common.steal_percent(stat0, common.cpu_times())
        peak_mb = max(common.proc_peak_rss_mb(p.pid) for p in procs)
    finally:
        stop(procs)
    fired = n - left
    return {"model": key, "processes": processes, "timers": n, "fired": fired, "elapsed_s": round(elapsed, 2),
            "timers_per_s": round(fired / elapsed, 1), "scheduler_cpu_ms_per_timer": round(cpu * 1000 / max(fired, 1), 2),
            "postgres_cpu_ms_per_timer": round(pg_cpu * 1000 / max(fired, 1), 2),
            "scheduler_peak_rss_mb": round(peak_mb, 1), "steal_percent": steal}


def idle_tick(app, waiting: int, repeat: int = 200) -> dict:
    from sqlalchemy import select, text

    from app import clock
    from app.db import db
    from app.models import Timer
    from app.scheduler.job_env import JobEnv
    from app.scheduler.timer_sweep import fire_due_timers
    from app.services.timer_failures import _attemptable, due_instance_ids

    empty(app)
    fill(app, MODEL_KEYS["timeout"], waiting, datetime.now(timezone.utc))  # due in an hour: all waiting
    with app.app_context():
        query, tick = [], []
        for _ in range(repeat):
            t0 = time.perf_counter()
            assert due_instance_ids(db.session, clock.now(), 1) == []
            query.append(time.perf_counter() - t0)
            db.session.rollback()
            t0 = time.perf_counter()
            assert fire_due_timers(JobEnv(db.session, app.extensions["lvyue.settings"])) == 0
            tick.append(time.perf_counter() - t0)
        stmt = select(Timer.instance_id).where(*_attemptable(clock.now())).order_by(Timer.due_at).limit(1)
        sql = str(stmt.compile(db.engine, compile_kwargs={"literal_binds": True}))
        plan = [r[0] for r in db.session.execute(text("EXPLAIN (ANALYZE, BUFFERS) " + sql))]
        db.session.rollback()
        db.session.remove()
    return {"waiting": waiting, "query_median_ms": round(statistics.median(query) * 1000, 3),
            "tick_median_ms": round(statistics.median(tick) * 1000, 3), "sql": sql, "plan": plan}


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("-n", type=int, default=10_000, help="due timers per sweep run")
    parser.add_argument("--waiting", type=int, default=100_000, help="waiting timers for the idle tick")
    parser.add_argument("--processes", default="1,2", help="scheduler process counts to run")
    parser.add_argument("--models", default="timeout,deadline", help=f"workloads, of {sorted(MODEL_KEYS)}")
    parser.add_argument("--repeat", type=int, default=3, help="runs of every setting (the medians are judged)")
    parser.add_argument("--time-limit", type=float, default=600, help="seconds per sweep run at most")
    parser.add_argument("--schema", default=PG_SCHEMA, help="bench_* schema of lvyue_bench to work in")
    parser.add_argument("--no-json", action="store_true")
    args = parser.parse_args()

    ok, why = common.pg_reachable()
    if not ok:
        print(f"postgres skipped: {why}")
        return 0
    facts = common.machine_facts()
    url = common.pg_bench_schema_url(args.schema)
    try:
        with tempfile.TemporaryDirectory(prefix="lvyue-bench-timers-") as tmp:
            instance = Path(tmp)
            app = make_app(url, instance)
            prepare(app)
            runs = []
            for rep in range(1, args.repeat + 1):  # interleaved, so drift of the machine hits every setting alike
                for m in args.models.split(","):
                    for p in args.processes.split(","):
                        run = sweep(app, url, instance, MODEL_KEYS[m], args.n, int(p), instance, args.time_limit)
                        runs.append({"rep": rep, **run})
                        print(f"  run {rep}: {run['model']} x{p}: {run['timers_per_s']} timers/s", flush=True)
            idle = idle_tick(app, args.waiting) if args.waiting else None
            from app.db import db

            with app.app_context():
                db.engine.dispose()
    finally:
        common.pg_drop_schema(args.schema)

    print(f"machine: {facts['nproc']} cores, {facts['cpu_model']}, Python {facts['python']}")
    print("\nTimer sweep on PostgreSQL (groups of up to 50 instances per transaction; every firing cancels its"
          " user task; the deadline model also runs a script and throws a signal: +1 audit entry, +1 outbox row"
          " delivered by the same scheduler)")
    print(f"{'run':>3} {'model':<24} {'procs':>5} {'timers':>7} {'fired':>7} {'wall s':>7} {'timers/s':>9}"
          f" {'sched cpu ms/timer':>19} {'postgres cpu ms/timer':>22} {'peak RSS MiB':>13} {'steal %':>8}")
    for r in runs:
        print(f"{r['rep']:>3} {r['model']:<24} {r['processes']:>5} {r['timers']:>7} {r['fired']:>7} {r['elapsed_s']:>7.1f} "
              f"{r['timers_per_s']:>9.1f} {r['scheduler_cpu_ms_per_timer']:>19.2f} "
              f"{r['postgres_cpu_ms_per_timer']:>22.2f} {r['scheduler_peak_rss_mb']:>13.1f} {r['steal_percent']:>8.1f}")
    medians, scaling = {}, {}
    print("\nmedian timers/s (min-max) over the runs")
    for model in dict.fromkeys(r["model"] for r in runs):
        for procs in dict.fromkeys(r["processes"] for r in runs):
            xs = [r["timers_per_s"] for r in runs if r["model"] == model and r["processes"] == procs]
            medians[(model, procs)] = statistics.median(xs)
            print(f"  {model:<24} {procs} process(es): {medians[(model, procs)]:.1f} ({min(xs):.1f}-{max(xs):.1f})")
        if (model, 1) in medians and (model, 2) in medians:
            scaling[model] = round(medians[(model, 2)] / medians[(model, 1)], 2)
            paired = sorted(round(b["timers_per_s"] / a["timers_per_s"], 2) for a in runs for b in runs
                            if a["model"] == b["model"] == model and a["rep"] == b["rep"]
                            and (a["processes"], b["processes"]) == (1, 2))
            print(f"  scaling 2 vs 1 process, {model}: {scaling[model]:.2f}x (per run: {', '.join(map(str, paired))})")
    if idle:
        print(f"\nIdle tick with {idle['waiting']} waiting timers: due query median {idle['query_median_ms']:.3f} ms, "
              f"whole fire_timers pass (read-only transaction + query) median {idle['tick_median_ms']:.3f} ms")
        print(idle["sql"].replace("\n", " "))
        print("\n".join("  " + line for line in idle["plan"]))
    print("\ngoals")
    for (model, procs), median in medians.items():
        if procs == 1:
            verdict = "PASS" if median >= GOAL_TIMERS_PER_S else "MISS"
            print(f"  {verdict}  >= {GOAL_TIMERS_PER_S:.0f} timers/s, one process (median), {model:<24} {median:.1f}")
    for model, ratio in scaling.items():
        print(f"  {'PASS' if ratio >= GOAL_SCALING else 'MISS'}  >= {GOAL_SCALING}x with two processes (medians), "
              f"{model:<22} {ratio:.2f}x")
    if not args.no_json:
        path = common.write_results("timer_sweep", {"machine": facts, "runs": runs, "scaling": scaling, "idle": idle})
        print(f"\nresults: {path}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
