"""The benchmark scripts still run against the current code (they print figures; nothing is timed here)."""
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def test_engine_vs_service_runs_and_prints_its_table():
    result = subprocess.run(
        [sys.executable, "bench/engine_vs_service.py", "-n", "3", "--db", "sqlite", "--no-json"],
        cwd=ROOT, capture_output=True, text=True, timeout=300,
    )
    assert result.returncode == 0, result.stderr
    assert "skipped" not in result.stdout
    assert "sqlite" in result.stdout.split("(a) engine")[-1]
