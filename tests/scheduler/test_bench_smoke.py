"""bench/timer_sweep.py still runs against the current code (tiny sizes; it prints figures, nothing is timed here)."""
import os
import re
import subprocess
import sys

import pytest

from app.config import ROOT
from tests.conftest import DATABASE, PG_URL


@pytest.mark.postgres_only
@pytest.mark.skipif(DATABASE != "postgres", reason="the timer-sweep benchmark measures PostgreSQL only")
def test_timer_sweep_bench_runs_and_prints_its_tables():
    result = subprocess.run(
        [sys.executable, "bench/timer_sweep.py", "-n", "20", "--waiting", "300", "--processes", "1",
         "--models", "timeout", "--repeat", "1", "--schema", "bench_timers_smoke", "--no-json"],
        cwd=ROOT, capture_output=True, text=True, timeout=180,
        env={**os.environ, "LVYUE_BENCH_POSTGRES_URL": PG_URL},
    )
    assert result.returncode == 0, result.stderr
    assert re.search(r"^\s+1 Process_sched_timeout\s+1\s+20\s+20\s", result.stdout, re.M), result.stdout
    assert "median timers/s" in result.stdout and "peak RSS" in result.stdout
    assert "Index Scan using ix_timers_pending_due" in result.stdout
