"""bench/timer_sweep.py still runs against the current code (tiny sizes; it prints figures, nothing is timed here)."""
import os
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
         "--models", "timeout", "--schema", "bench_timers_smoke", "--no-json"],
        cwd=ROOT, capture_output=True, text=True, timeout=180,
        env={**os.environ, "LVYUE_BENCH_POSTGRES_URL": PG_URL},
    )
    assert result.returncode == 0, result.stderr
    assert "Process_sched_timeout        1      20      20" in result.stdout
    assert "Index Scan using ix_timers_pending_due" in result.stdout
