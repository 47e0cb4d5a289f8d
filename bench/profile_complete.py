#!/usr/bin/env python3
"""Profile the complete-task request (in-process Flask test client) on SQLite and PostgreSQL.

cProfile is switched on only around POST /api/v1/tasks/<id>/complete; SQL statements are
counted and timed with SQLAlchemy cursor events. Prints, per database: statements per
request (grouped by statement text), time in the DB driver, and the top functions by own and
cumulative time. Saves bench/results/profile-<db>.prof (open with `python -m pstats` or snakeviz).

    .venv/bin/python bench/profile_complete.py [-n 60] [--db sqlite,postgres] [--top 30]
"""
from __future__ import annotations

import argparse
import cProfile
import io
import pstats
import re
import sys
import tempfile
import time
from collections import Counter, defaultdict
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
import common  # noqa: E402
import engine_vs_service as evs  # noqa: E402

sys.path.insert(0, str(common.ROOT))


def _norm(sql: str) -> str:
    sql = " ".join(sql.split())
    sql = re.sub(r"SELECT .*? FROM", "SELECT … FROM", sql, count=1)
    sql = re.sub(r"\((%\(|\?)[^)]*\)", "(…)", sql)
    return sql[:110]


def profile_db(db: str, n: int, top: int) -> dict:
    from sqlalchemy import event

    from app.db import db as fsa

    tmp = tempfile.TemporaryDirectory(prefix=f"lvyue-prof-{db}-")
    schema = "bench_prof"
    try:
        url = f"sqlite:///{Path(tmp.name) / 'lvyue.db'}" if db == "sqlite" else common.pg_bench_schema_url(schema)
        app = evs._make_app(url, tmp.name)
        creds = evs._setup(app)
        with app.app_context():
            engine = fsa.engine
        stats = {"on": False, "count": Counter(), "time": defaultdict(float), "t0": {}}

        @event.listens_for(engine, "before_cursor_execute")
        def _before(conn, cursor, statement, params, context, executemany):
            if stats["on"]:
                stats["t0"][id(cursor)] = time.perf_counter()

        @event.listens_for(engine, "after_cursor_execute")
        def _after(conn, cursor, statement, params, context, executemany):
            if stats["on"]:
                key = _norm(statement)
                stats["count"][key] += 1
                stats["time"][key] += time.perf_counter() - stats["t0"].pop(id(cursor), time.perf_counter())

        client = app.test_client()
        headers = {"Authorization": f"Bearer {creds['owner']['api_token']}"}
        prof = cProfile.Profile()
        requests, wall = 0, 0.0
        for i in range(n + 5):
            resp = client.post("/api/v1/process-instances", json={"process_key": common.PROCESS_KEY, "data": {}},
                               headers=headers)
            for data in common.STEPS:
                [task] = resp.get_json()["next_tasks"]
                measured = i >= 5  # the first 5 instances warm caches
                stats["on"] = measured
                t0 = time.perf_counter()
                if measured:
                    prof.enable()
                resp = client.post(f"/api/v1/tasks/{task['id']}/complete", json={"data": data}, headers=headers)
                if measured:
                    prof.disable()
                    wall += time.perf_counter() - t0
                    requests += 1
                stats["on"] = False
                assert resp.status_code == 200, resp.get_data(as_text=True)
        path = common.RESULTS / f"profile-{db}.prof"
        common.RESULTS.mkdir(parents=True, exist_ok=True)
        prof.dump_stats(str(path))
        sql_total = sum(stats["time"].values())
        print(f"\n===== {db}: {requests} complete-task requests, {wall / requests * 1000:.2f} ms/request under "
              f"cProfile (profiler overhead inflates this), SQL {sum(stats['count'].values()) / requests:.1f} "
              f"statements / {sql_total / requests * 1000:.2f} ms per request")
        for key, c in sorted(stats["count"].items(), key=lambda kv: -stats["time"][kv[0]]):
            print(f"  {c / requests:5.2f}x {stats['time'][key] / requests * 1000:6.3f} ms  {key}")
        for order in ("tottime", "cumulative"):
            buf = io.StringIO()
            ps = pstats.Stats(prof, stream=buf).strip_dirs().sort_stats(order)
            ps.print_stats(top)
            text = buf.getvalue()
            print(f"\n--- top {top} by {order} ---")
            print(text[text.find("   ncalls"):].rstrip())
        with app.app_context():
            fsa.session.remove()
            engine.dispose()
        return {"db": db, "requests": requests, "ms_per_request_profiled": round(wall / requests * 1000, 2),
                "sql_statements_per_request": round(sum(stats["count"].values()) / requests, 2),
                "sql_ms_per_request": round(sql_total / requests * 1000, 3), "prof": str(path)}
    finally:
        tmp.cleanup()
        if db == "postgres":
            common.pg_drop_schema(schema)


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("-n", "--n", type=int, default=60)
    ap.add_argument("--db", default="sqlite,postgres")
    ap.add_argument("--top", type=int, default=30)
    a = ap.parse_args(argv)
    out = []
    for db in [x.strip() for x in a.db.split(",") if x.strip()]:
        if db == "postgres" and not common.pg_reachable()[0]:
            print("[postgres] skipped: not reachable")
            continue
        out.append(profile_db(db, a.n, a.top))
    return out


if __name__ == "__main__":
    main()
