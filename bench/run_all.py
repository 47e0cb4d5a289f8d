#!/usr/bin/env python3
"""Run every benchmark and print a summary with the machine facts and the goals (`make bench`).

Goals (per database; reported as PASS/MISS, never asserted):
  * complete-task median <= 10 ms   - HTTP POST /api/v1/tasks/<id>/complete, 1 client, gunicorn -w 2
  * >= 40 instances/s with 4 clients - approval3 (start + 3 completes), gunicorn -w 2
  * inbox p95 <= 50 ms with 100k cases - bench/inbox_pages.py (first page, filtered, searched)

    .venv/bin/python bench/run_all.py            # full run (N=200 per level, both databases)
    .venv/bin/python bench/run_all.py --quick    # N=40, for a smoke check
    .venv/bin/python bench/run_all.py --db sqlite
"""
from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
import api_load  # noqa: E402
import common  # noqa: E402
import engine_vs_service  # noqa: E402
import inbox_pages  # noqa: E402


def _level(result: dict, clients: int) -> dict | None:
    for lv in result.get("levels", []):
        if lv["clients"] == clients:
            return lv
    return None


def goals(load: dict) -> list[dict]:
    out = []
    for r in load["results"]:
        db = r["db"]
        if "skipped" in r:
            out.append({"db": db, "goal": "all", "status": "SKIP", "detail": r["skipped"]})
            continue
        one, four = _level(r, 1), _level(r, 4)
        med = one["ops"]["complete"]["median_ms"] if one else None
        rate = four["instances_per_s"] if four else None
        ok1 = med is not None and one["errors"] == 0 and med <= common.GOAL_COMPLETE_MEDIAN_MS
        ok2 = rate is not None and four["errors"] == 0 and rate >= common.GOAL_INSTANCES_PER_S_4
        out.append({"db": db, "goal": f"complete-task median <= {common.GOAL_COMPLETE_MEDIAN_MS:g} ms (1 client)",
                    "value": med, "unit": "ms", "status": ("PASS" if ok1 else "MISS") if one else "SKIP"})
        out.append({"db": db, "goal": f">= {common.GOAL_INSTANCES_PER_S_4:g} instances/s (4 clients)",
                    "value": rate, "unit": "inst/s", "status": ("PASS" if ok2 else "MISS") if four else "SKIP"})
    return out


def main(argv=None) -> dict:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("-n", "--n", type=int, default=None, help="instances per load level (default 200; --quick 40)")
    ap.add_argument("--quick", action="store_true", help="smaller N everywhere")
    ap.add_argument("--db", default="sqlite,postgres")
    ap.add_argument("--skip-engine", action="store_true", help="only the HTTP load benchmark")
    ap.add_argument("--inbox-n", type=int, default=None, help="cases for inbox_pages (default 100000; --quick 3000)")
    ap.add_argument("--skip-inbox", action="store_true", help="leave out inbox_pages (it generates the cases: minutes)")
    args = ap.parse_args(argv)
    n = args.n or (40 if args.quick else 200)
    t0 = time.perf_counter()
    facts = common.machine_facts()
    print(f"machine: {facts['nproc']} CPU(s), {facts['cpu_model']}, Python {facts['python']}, "
          f"SpiffWorkflow {facts['spiffworkflow']}, load avg {facts['loadavg_at_start']}", flush=True)

    evs = None
    if not args.skip_engine:
        print("\n=== engine_vs_service ===", flush=True)
        evs = engine_vs_service.main(["-n", str(max(20, n // 2)), "--db", args.db])
    print("\n=== api_load ===", flush=True)
    load = api_load.main(["-n", str(n), "--db", args.db, "--clients", "1,4"])

    inbox = None
    if not args.skip_inbox:
        print("\n=== inbox_pages ===", flush=True)
        inbox_n = args.inbox_n or (3000 if args.quick else 100_000)
        inbox = inbox_pages.main(["-n", str(inbox_n), "--db", args.db, "--requests", "20" if args.quick else "60",
                                  "--no-json"])

    g = goals(load)
    if inbox:
        g += inbox["goals"]
    print("\n=== summary ===")
    print(f"machine: nproc={facts['nproc']}  cpu={facts['cpu_model']}  python={facts['python']}  "
          f"platform={facts['platform']}")
    print(f"workload: {common.PROCESS_KEY} (start + 3 completes), N={n} per level, gunicorn -w 2")
    api_load.print_table(load["results"])
    if evs:
        engine_vs_service.print_report(evs)
    if inbox:
        inbox_pages.print_table(inbox["runs"])
    print("\ngoals")
    for row in g:
        val = "" if row.get("value") is None else f"{row['value']:.1f} {row['unit']}"
        print(f"  {row['status']:4s}  {row['db']:9s} {row['goal']:42s} {val}{row.get('detail', '')}")
    summary = {"benchmark": "run_all", "machine": facts, "n": n, "goals": g, "api_load": load,
               "engine_vs_service": evs, "inbox_pages": inbox, "elapsed_s": round(time.perf_counter() - t0, 1)}
    print(f"\nJSON: {common.write_results('run_all', summary)}  ({summary['elapsed_s']} s)")
    return summary


if __name__ == "__main__":
    main()
