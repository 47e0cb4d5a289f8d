#!/usr/bin/env python3
"""HTTP load benchmark: the client's approval3 workload against gunicorn, the production way.

For each database (SQLite file in a temp instance dir; PostgreSQL schema `bench_api` in the
database `lvyue_bench`): bootstrap a fresh instance with the CLI (`lvyue bootstrap`, then
`lvyue deploy --bpmn tests/fixtures/approval3 --forms tests/fixtures/approval3`), start
`gunicorn -w 2 -b 127.0.0.1:<free port> 'app:create_app()'`, and drive N process instances
with 1 and with 4 concurrent clients. Each client (a thread with its own stdlib
http.client connection) loops: POST /api/v1/process-instances, then 3 x POST
/api/v1/tasks/<id>/complete, taking the next task id from `next_tasks`.

Prints per operation median/p95 latency (ms, client-side, including connect: gunicorn's sync
worker closes the connection after every response) and instances/s per concurrency level;
writes JSON to bench/results/api_load-*.json.

Bounded: every loop has a count and a time limit; traffic goes to 127.0.0.1 only; gunicorn is
stopped at the end, also on error or Ctrl-C.

    .venv/bin/python bench/api_load.py                 # both databases, N=200, clients 1 and 4
    .venv/bin/python bench/api_load.py --db sqlite -n 50 --clients 4
"""
from __future__ import annotations

import argparse
import http.client
import json
import os
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
import common  # noqa: E402

HOST = "127.0.0.1"
PG_SCHEMA = "bench_api"


def _bin(name: str) -> str:
    here = Path(sys.executable).parent / name
    if here.exists():
        return str(here)
    venv = common.ROOT / ".venv" / "bin" / name
    if venv.exists():
        return str(venv)
    raise SystemExit(f"{name} not found next to {sys.executable} nor in .venv/bin (run `make venv`)")


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind((HOST, 0))
        return s.getsockname()[1]


# -- instance set-up ---------------------------------------------------------------------------
class Server:
    """A bootstrapped instance and its gunicorn. Use as a context manager: always stops gunicorn."""

    def __init__(self, db: str, instance_dir: Path, database_url: str, workers: int, log_dir: Path):
        self.db, self.instance_dir, self.database_url = db, instance_dir, database_url
        self.workers, self.log_dir = workers, log_dir
        self.proc: subprocess.Popen | None = None
        self.port = 0
        self.log_path = log_dir / f"gunicorn-{db}.log"
        self.env = dict(os.environ, LVYUE_DATABASE_URL=database_url, LVYUE_INSTANCE_PATH=str(instance_dir),
                        LVYUE_SECRET_KEY="bench-only-secret-key", PYTHONUNBUFFERED="1")
        self.env.pop("FLASK_APP", None)

    def _cli(self, *args: str, timeout: float = 300) -> str:
        cmd = [_bin("flask"), "--app", "app:create_app", "lvyue", *args]
        r = subprocess.run(cmd, cwd=common.ROOT, env=self.env, capture_output=True, text=True, timeout=timeout)
        if r.returncode != 0:
            raise RuntimeError(f"{' '.join(args)} failed ({r.returncode}):\n{r.stdout[-2000:]}\n{r.stderr[-4000:]}")
        return r.stdout

    def bootstrap(self) -> dict:
        t0 = time.perf_counter()
        self._cli("bootstrap")
        t1 = time.perf_counter()
        out = self._cli("deploy", "--bpmn", str(common.APPROVAL3), "--forms", str(common.APPROVAL3))
        t2 = time.perf_counter()
        if common.PROCESS_KEY not in out:
            raise RuntimeError(f"deploy did not report {common.PROCESS_KEY}: {out}")
        creds = json.loads((self.instance_dir / "demo-credentials.json").read_text())
        self.token = creds["owner"]["api_token"]
        return {"bootstrap_s": round(t1 - t0, 2), "deploy_s": round(t2 - t1, 2)}

    def start(self, ready_timeout: float = 60.0) -> None:
        self.port = free_port()
        cmd = [_bin("gunicorn"), "-w", str(self.workers), "-b", f"{HOST}:{self.port}", "app:create_app()"]
        self._log = open(self.log_path, "w")
        # own session/process group: lets us end gunicorn and its workers by the master's id
        self.proc = subprocess.Popen(cmd, cwd=common.ROOT, env=self.env, stdout=self._log, stderr=subprocess.STDOUT,
                                     start_new_session=True)
        deadline = time.monotonic() + ready_timeout
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                raise RuntimeError(f"gunicorn exited with {self.proc.returncode}; see {self.log_path}")
            try:
                conn = http.client.HTTPConnection(HOST, self.port, timeout=2)
                conn.request("GET", "/api/v1/openapi.json")
                resp = conn.getresponse()
                resp.read()
                conn.close()
                if resp.status == 200:
                    return
            except OSError:
                pass
            time.sleep(0.2)
        raise RuntimeError(f"gunicorn did not answer within {ready_timeout:.0f} s; see {self.log_path}")

    def stop(self) -> None:
        proc, self.proc = self.proc, None
        if proc is None:
            return
        if proc.poll() is None:
            proc.send_signal(signal.SIGTERM)  # graceful: the master stops its workers
            try:
                proc.wait(timeout=20)
            except subprocess.TimeoutExpired:
                try:
                    os.killpg(proc.pid, signal.SIGKILL)  # the group we created for this master
                except ProcessLookupError:
                    pass
                proc.wait(timeout=10)
        if getattr(self, "_log", None):
            self._log.close()

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.stop()
        return False


# -- the client ----------------------------------------------------------------------------------
class Client:
    """One keep-alive-capable stdlib connection (gunicorn sync workers close it after each
    response; http.client then reconnects on the next request, so connect time is included)."""

    def __init__(self, port: int, token: str, timeout: float):
        self.conn = http.client.HTTPConnection(HOST, port, timeout=timeout)
        self.headers = {"Authorization": f"Bearer {token}", "Content-Type": "application/json",
                        "Accept": "application/json"}

    def post(self, path: str, body: dict) -> tuple[int, dict | None, float, str]:
        payload = json.dumps(body, ensure_ascii=False).encode()
        t0 = time.perf_counter()
        try:
            self.conn.request("POST", path, body=payload, headers=self.headers)
            resp = self.conn.getresponse()
            raw = resp.read()
        except (OSError, http.client.HTTPException):
            self.conn.close()
            raise
        dt = time.perf_counter() - t0
        try:
            data = json.loads(raw)
        except ValueError:
            data = None
        return resp.status, data, dt, raw[:300].decode("utf-8", "replace")

    def close(self):
        self.conn.close()


def run_instance(client: Client, lat: dict[str, list[float]]) -> str | None:
    """start -> 3 completes. Returns None on success, else an error description."""
    status, body, dt, raw = client.post("/api/v1/process-instances", {"process_key": common.PROCESS_KEY, "data": {}})
    if status != 201 or not body:
        return f"start: HTTP {status} {raw}"
    lat["start"].append(dt)
    for i, data in enumerate(common.STEPS, 1):
        tasks = body.get("next_tasks") or []
        if len(tasks) != 1:
            return f"step {i}: expected one next task, got {len(tasks)}"
        status, body, dt, raw = client.post(f"/api/v1/tasks/{tasks[0]['id']}/complete", {"data": data})
        if status != 200 or not body:
            return f"complete {i}: HTTP {status} {raw}"
        lat["complete"].append(dt)
        lat[f"complete_{i}"].append(dt)
    if body.get("status") != "completed" or body.get("next_tasks"):
        return f"instance not completed after 3 steps: {body}"
    return None


def cpu_snapshot(server_pid: int | None) -> dict:
    """CPU seconds per process, grouped: gunicorn (master + workers), postgres (all backends)."""
    snap = {"gunicorn": {}, "postgres": {}, "client": time.process_time(), "machine": common.total_cpu_seconds()}
    if server_pid:
        for pid in [server_pid, *common.children(server_pid)]:
            snap["gunicorn"][pid] = common.proc_cpu_seconds(pid)
    for pid in common.pids_named("postgres"):
        snap["postgres"][pid] = common.proc_cpu_seconds(pid)
    return snap


def cpu_delta_ms(before: dict, after: dict, per: int) -> dict:
    """CPU milliseconds per instance by group between two snapshots."""
    if per <= 0:
        return {}
    out = {}
    for group in ("gunicorn", "postgres"):
        total = sum(max(0.0, sec - before[group].get(pid, 0.0)) for pid, sec in after[group].items())
        out[group] = round(total * 1000 / per, 2)
    out["client"] = round((after["client"] - before["client"]) * 1000 / per, 2)
    out["machine"] = round((after["machine"] - before["machine"]) * 1000 / per, 2)
    return out


def run_level(port: int, token: str, n: int, clients: int, time_limit: float, request_timeout: float,
              max_errors: int = 20, server_pid: int | None = None) -> dict:
    lock = threading.Lock()
    state = {"next": 0, "ok": 0, "errors": []}
    lat = {k: [] for k in ("start", "complete", "complete_1", "complete_2", "complete_3")}
    per_thread = [{k: [] for k in lat} for _ in range(clients)]
    stop = threading.Event()
    deadline = time.monotonic() + time_limit

    def worker(idx: int):
        client = Client(port, token, request_timeout)
        mine = per_thread[idx]
        try:
            while not stop.is_set() and time.monotonic() < deadline:
                with lock:
                    if state["next"] >= n:
                        return
                    state["next"] += 1
                try:
                    err = run_instance(client, mine)
                except (OSError, http.client.HTTPException) as exc:
                    err = f"{type(exc).__name__}: {exc}"
                with lock:
                    if err is None:
                        state["ok"] += 1
                    else:
                        state["errors"].append(err)
                        if len(state["errors"]) >= max_errors:
                            stop.set()
        finally:
            client.close()

    threads = [threading.Thread(target=worker, args=(i,), daemon=True, name=f"client-{i}") for i in range(clients)]
    cpu0 = cpu_snapshot(server_pid)
    t0 = time.perf_counter()
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=max(0.0, deadline - time.monotonic()) + request_timeout * 4 + 5)
    wall = time.perf_counter() - t0
    cpu1 = cpu_snapshot(server_pid)
    stop.set()
    for m in per_thread:
        for k, v in m.items():
            lat[k].extend(v)
    timed_out = time.monotonic() >= deadline and state["ok"] + len(state["errors"]) < n
    ops = {k: common.summary_ms(v) for k, v in lat.items()}
    requests = len(lat["start"]) + len(lat["complete"])
    return {
        "clients": clients, "requested": n, "completed_instances": state["ok"], "errors": len(state["errors"]),
        "error_samples": state["errors"][:5], "time_limited": timed_out, "wall_s": round(wall, 3),
        "instances_per_s": round(state["ok"] / wall, 2) if wall > 0 else None,
        "requests_per_s": round(requests / wall, 2) if wall > 0 else None,
        "ops": ops,
        # CPU ms per completed instance (4 requests): where the 2 cores go
        "cpu_ms_per_instance": cpu_delta_ms(cpu0, cpu1, state["ok"]),
        "cpu_busy_fraction": round((cpu1["machine"] - cpu0["machine"]) / (wall * (os.cpu_count() or 1)), 2)
        if wall > 0 else None,
    }


# -- driver ------------------------------------------------------------------------------------
def bench_database(db: str, args, log_dir: Path) -> dict:
    tmp = tempfile.TemporaryDirectory(prefix=f"lvyue-bench-{db}-")
    instance_dir = Path(tmp.name) / "instance"
    instance_dir.mkdir()
    if db == "sqlite":
        url = f"sqlite:///{instance_dir / 'lvyue.db'}"
    else:
        url = common.pg_bench_schema_url(PG_SCHEMA)
    result = {"db": db, "database_url": common.redact(url), "workers": args.workers, "levels": []}
    try:
        with Server(db, instance_dir, url, args.workers, log_dir) as server:
            print(f"[{db}] bootstrapping a fresh instance in {instance_dir} ...", flush=True)
            result["setup"] = server.bootstrap()
            server.start()
            print(f"[{db}] gunicorn -w {args.workers} on {HOST}:{server.port} (setup {result['setup']})", flush=True)
            if args.warmup:
                w = run_level(server.port, server.token, args.warmup, min(args.workers * 2, args.warmup),
                              args.time_limit, args.request_timeout)
                result["warmup"] = {"instances": w["completed_instances"], "errors": w["errors"],
                                    "error_samples": w["error_samples"]}
                if w["errors"]:
                    raise RuntimeError(f"warm-up failed: {w['error_samples']}")
            for c in args.clients:
                print(f"[{db}] {args.n} instances with {c} client(s) (limit {args.time_limit:.0f} s) ...", flush=True)
                level = run_level(server.port, server.token, args.n, c, args.time_limit, args.request_timeout,
                                  server_pid=server.proc.pid)
                result["levels"].append(level)
                print(f"[{db}]   {level['instances_per_s']} instances/s, complete median "
                      f"{level['ops']['complete']['median_ms']} ms, errors {level['errors']}; CPU ms/instance "
                      f"{level['cpu_ms_per_instance']}, machine busy {level['cpu_busy_fraction']:.0%}", flush=True)
                if level["error_samples"]:
                    print(f"[{db}]   first errors: {level['error_samples'][:3]}", flush=True)
    finally:
        if args.keep:
            print(f"[{db}] kept {instance_dir}", flush=True)
        else:
            tmp.cleanup()
            if db == "postgres":
                common.pg_drop_schema(PG_SCHEMA)
    return result


def print_table(results: list[dict]) -> None:
    head = (f"{'db':9s} {'clients':>7s} {'inst':>5s} {'err':>4s} {'wall s':>7s} {'inst/s':>7s} {'req/s':>7s} "
            f"{'start med':>9s} {'p95':>7s} {'compl med':>9s} {'p95':>7s} {'srv cpu':>8s} {'busy':>5s}")
    print("\nHTTP load (approval3: start + 3 completes; latencies in ms, client-side; srv cpu = gunicorn CPU ms "
          "per instance; busy = share of all cores in use)")
    print(head)
    print("-" * len(head))
    for r in results:
        if "skipped" in r:
            print(f"{r['db']:9s} skipped: {r['skipped']}")
            continue
        for lv in r["levels"]:
            s, c = lv["ops"]["start"], lv["ops"]["complete"]
            print(f"{r['db']:9s} {lv['clients']:>7d} {lv['completed_instances']:>5d} {lv['errors']:>4d} "
                  f"{lv['wall_s']:>7.1f} {common.fmt(lv['instances_per_s'], 7)} {common.fmt(lv['requests_per_s'], 7)} "
                  f"{common.fmt(s['median_ms'], 9)} {common.fmt(s['p95_ms'], 7)} "
                  f"{common.fmt(c['median_ms'], 9)} {common.fmt(c['p95_ms'], 7)} "
                  f"{common.fmt(lv['cpu_ms_per_instance'].get('gunicorn'), 8)} "
                  f"{'' if lv['cpu_busy_fraction'] is None else format(lv['cpu_busy_fraction'], '.0%'):>5s}"
                  + ("  (time limit hit)" if lv["time_limited"] else ""))


def parse_args(argv=None):
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("-n", "--n", type=int, default=200, help="process instances per concurrency level (default 200)")
    ap.add_argument("--clients", default="1,4", help="comma-separated concurrency levels (default 1,4)")
    ap.add_argument("--db", default="sqlite,postgres", help="sqlite, postgres or both (default both)")
    ap.add_argument("--workers", type=int, default=2, help="gunicorn workers (default 2, as in production)")
    ap.add_argument("--time-limit", type=float, default=300.0, help="seconds per level before it stops (default 300)")
    ap.add_argument("--request-timeout", type=float, default=30.0, help="socket timeout per request (default 30)")
    ap.add_argument("--warmup", type=int, default=8, help="unmeasured instances before the levels (default 8)")
    ap.add_argument("--keep", action="store_true", help="keep the temp instance dir / PostgreSQL schema")
    ap.add_argument("--no-json", action="store_true", help="do not write bench/results/api_load-*.json")
    a = ap.parse_args(argv)
    a.clients = [int(x) for x in a.clients.split(",") if x.strip()]
    a.dbs = [x.strip() for x in a.db.split(",") if x.strip()]
    if a.n < 1 or not a.clients or min(a.clients) < 1 or max(a.clients) > 64:
        ap.error("need n >= 1 and 1..64 clients")
    if any(d not in ("sqlite", "postgres") for d in a.dbs):
        ap.error("--db takes sqlite and/or postgres")
    return a


def main(argv=None) -> dict:
    args = parse_args(argv)
    if threading.current_thread() is threading.main_thread():
        # SIGTERM -> SystemExit, so the finally/with blocks stop gunicorn
        signal.signal(signal.SIGTERM, lambda *_: sys.exit(143))
    common.RESULTS.mkdir(parents=True, exist_ok=True)
    out = {"benchmark": "api_load", "machine": common.machine_facts(), "workload": common.PROCESS_KEY,
           "n": args.n, "clients": args.clients, "workers": args.workers, "results": []}
    for db in args.dbs:
        if db == "postgres":
            ok, why = common.pg_reachable()
            if not ok:
                print(f"[postgres] skipped: {why}", flush=True)
                out["results"].append({"db": db, "skipped": why})
                continue
        try:
            out["results"].append(bench_database(db, args, common.RESULTS))
        except Exception as exc:  # noqa: BLE001 - report and go on with the next database
            print(f"[{db}] FAILED: {type(exc).__name__}: {exc}", flush=True)
            out["results"].append({"db": db, "skipped": f"failed: {type(exc).__name__}: {exc}"[:500]})
    print_table(out["results"])
    if not args.no_json:
        print(f"\nJSON: {common.write_results('api_load', out)}")
    return out


if __name__ == "__main__":
    main()
