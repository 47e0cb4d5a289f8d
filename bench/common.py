"""Shared helpers for the benchmarks: statistics, machine facts, the PostgreSQL bench database.

Only stdlib + what the app already depends on (SQLAlchemy/psycopg). Never touches the test
database: PostgreSQL benchmarks run in the dedicated database `lvyue_bench` (created on demand),
each script in its own schema, dropped and recreated at the start of a run.
"""
from __future__ import annotations

import json
import os
import platform
import statistics
import sys
import time
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

ROOT = Path(__file__).resolve().parent.parent
BENCH = ROOT / "bench"
RESULTS = BENCH / "results"
APPROVAL3 = ROOT / "tests" / "fixtures" / "approval3"
PROCESS_KEY = "Process_approval3"
STEPS = [{"requester": "张三"}, {"amount": 120}, {"approved": True}]
DEFAULT_PG = "postgresql://postgres@127.0.0.1:5432/test"
BENCH_DB = "lvyue_bench"

# goals (brief): complete-task median <= 10 ms, >= 40 instances/s with 4 concurrent clients
GOAL_COMPLETE_MEDIAN_MS = 10.0
GOAL_INSTANCES_PER_S_4 = 40.0


# -- statistics ------------------------------------------------------------------------------
def percentile(xs: list[float], p: float) -> float | None:
    """Nearest-rank-with-interpolation percentile (p in 0..100); None for no data."""
    if not xs:
        return None
    s = sorted(xs)
    if len(s) == 1:
        return s[0]
    k = (len(s) - 1) * p / 100.0
    lo = int(k)
    hi = min(lo + 1, len(s) - 1)
    return s[lo] + (s[hi] - s[lo]) * (k - lo)


def summary_ms(seconds: list[float]) -> dict:
    """median / p95 / mean / min / max in milliseconds (rounded), plus the sample count."""
    if not seconds:
        return {"n": 0, "median_ms": None, "p95_ms": None, "mean_ms": None, "min_ms": None, "max_ms": None}
    ms = [x * 1000.0 for x in seconds]
    r = lambda v: round(v, 2)  # noqa: E731
    return {"n": len(ms), "median_ms": r(statistics.median(ms)), "p95_ms": r(percentile(ms, 95)),
            "mean_ms": r(statistics.fmean(ms)), "min_ms": r(min(ms)), "max_ms": r(max(ms))}


def fmt(v, width=8, digits=1) -> str:
    return f"{'-':>{width}}" if v is None else f"{v:>{width}.{digits}f}"


# -- machine facts ---------------------------------------------------------------------------
def machine_facts() -> dict:
    cpu = "unknown"
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    try:
        load = os.getloadavg()
    except OSError:
        load = None
    try:
        import SpiffWorkflow.version as sv
        spiff = sv.__version__
    except Exception:  # noqa: BLE001
        spiff = "?"
    return {"nproc": os.cpu_count(), "cpu_model": cpu, "python": sys.version.split()[0],
            "implementation": platform.python_implementation(), "platform": platform.platform(),
            "spiffworkflow": spiff, "loadavg_at_start": load,
            "date": time.strftime("%Y-%m-%dT%H:%M:%S%z")}


# -- results ---------------------------------------------------------------------------------
def write_results(name: str, data: dict) -> Path:
    """bench/results/<name>-<timestamp>.json plus bench/results/<name>-latest.json."""
    RESULTS.mkdir(parents=True, exist_ok=True)
    stamp = time.strftime("%Y%m%d-%H%M%S")
    path = RESULTS / f"{name}-{stamp}.json"
    text = json.dumps(data, ensure_ascii=False, indent=2, default=str)
    path.write_text(text)
    (RESULTS / f"{name}-latest.json").write_text(text)
    return path


# -- PostgreSQL bench database ---------------------------------------------------------------
def pg_base_url() -> str:
    return os.environ.get("LVYUE_BENCH_POSTGRES_URL", DEFAULT_PG)


def _with_db(url: str, dbname: str) -> str:
    parts = urlsplit(url)
    return urlunsplit((parts.scheme, parts.netloc, "/" + dbname, parts.query, parts.fragment))


def _psycopg_url(url: str) -> str:
    # psycopg.connect() takes libpq URIs: strip a SQLAlchemy driver suffix if one was given
    return url.replace("postgresql+psycopg://", "postgresql://", 1)


def pg_reachable(timeout: float = 3.0) -> tuple[bool, str]:
    try:
        import psycopg
    except ImportError as exc:
        return False, f"psycopg not installed: {exc}"
    try:
        with psycopg.connect(_psycopg_url(pg_base_url()), connect_timeout=int(max(1, timeout))) as conn:
            conn.execute("SELECT 1")
        return True, ""
    except Exception as exc:  # noqa: BLE001
        return False, f"{type(exc).__name__}: {exc}".strip()


def pg_bench_schema_url(schema: str) -> str:
    """Create database `lvyue_bench` if needed (autocommit CREATE DATABASE), drop and recreate
    `schema` in it, and return a postgresql:// URL whose search_path is that schema only.
    The test database named by the base URL is only used to issue CREATE DATABASE."""
    import psycopg
    from psycopg import sql

    if not schema.isidentifier() or not schema.startswith("bench_"):
        raise ValueError("bench schemas must be identifiers starting with bench_")
    base = _psycopg_url(pg_base_url())
    with psycopg.connect(base, autocommit=True, connect_timeout=5) as conn:
        exists = conn.execute("SELECT 1 FROM pg_database WHERE datname = %s", (BENCH_DB,)).fetchone()
        if not exists:
            conn.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(BENCH_DB)))
    bench_url = _with_db(base, BENCH_DB)
    with psycopg.connect(bench_url, autocommit=True, connect_timeout=5) as conn:
        conn.execute(sql.SQL("DROP SCHEMA IF EXISTS {} CASCADE").format(sql.Identifier(schema)))
        conn.execute(sql.SQL("CREATE SCHEMA {}").format(sql.Identifier(schema)))
    sep = "&" if urlsplit(bench_url).query else "?"
    return f"{bench_url}{sep}options=-csearch_path%3D{schema}"


def pg_drop_schema(schema: str) -> None:
    import psycopg
    from psycopg import sql

    bench_url = _with_db(_psycopg_url(pg_base_url()), BENCH_DB)
    try:
        with psycopg.connect(bench_url, autocommit=True, connect_timeout=5) as conn:
            conn.execute(sql.SQL("DROP SCHEMA IF EXISTS {} CASCADE").format(sql.Identifier(schema)))
    except Exception:  # noqa: BLE001 - best effort clean-up
        pass


def redact(url: str) -> str:
    parts = urlsplit(url)
    netloc = parts.netloc
    if "@" in netloc and ":" in netloc.split("@", 1)[0]:
        user = netloc.split("@", 1)[0].split(":", 1)[0]
        netloc = f"{user}:***@{netloc.split('@', 1)[1]}"
    return urlunsplit((parts.scheme, netloc, parts.path, "", ""))


# -- CPU accounting (Linux /proc, read-only) ---------------------------------------------------
_TCK = os.sysconf("SC_CLK_TCK") if hasattr(os, "sysconf") else 100


def proc_cpu_seconds(pid: int) -> float:
    """user+system CPU seconds of one process (0.0 if it is gone)."""
    try:
        raw = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return 0.0
    fields = raw[raw.rfind(")") + 2:].split()
    return (int(fields[11]) + int(fields[12])) / _TCK


def cpu_times() -> list[int]:
    """The machine-wide `cpu` line of /proc/stat (user nice system idle iowait irq softirq steal …)."""
    return [int(x) for x in Path("/proc/stat").read_text().splitlines()[0].split()[1:]]


def steal_percent(before: list[int], after: list[int]) -> float:
    """Share of CPU time the hypervisor gave to other guests between two `cpu_times()` readings."""
    delta = [b - a for a, b in zip(before, after)]
    total = sum(delta[:8])
    return round(100.0 * delta[7] / total, 1) if total else 0.0


def postgres_cpu_seconds() -> float:
    """user+system CPU seconds of every process named `postgres` on this machine (the local server
    and its backends; a backend that ended meanwhile is not counted)."""
    total = 0.0
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                if (entry / "comm").read_text().strip() == "postgres":
                    total += proc_cpu_seconds(int(entry.name))
            except OSError:
                continue
    return total


def proc_peak_rss_mb(pid: int) -> float:
    """Peak resident memory (VmHWM) of one process in MiB (0.0 if it is gone)."""
    try:
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith("VmHWM:"):
                return int(line.split()[1]) / 1024
    except OSError:
        pass
    return 0.0


def children(pid: int) -> list[int]:
    try:
        return [int(x) for x in Path(f"/proc/{pid}/task/{pid}/children").read_text().split()]
    except OSError:
        return []


def pids_named(name: str) -> list[int]:
    out = []
    for p in Path("/proc").iterdir():
        if p.name.isdigit():
            try:
                if (p / "comm").read_text().strip() == name:
                    out.append(int(p.name))
            except OSError:
                pass
    return out


def total_cpu_seconds() -> float:
    """All CPUs, all processes: busy (non-idle, non-iowait) seconds since boot, from /proc/stat."""
    try:
        first = Path("/proc/stat").read_text().splitlines()[0].split()[1:]
    except OSError:
        return 0.0
    v = [int(x) for x in first]
    idle = v[3] + (v[4] if len(v) > 4 else 0)
    return (sum(v[:8]) - idle) / _TCK
