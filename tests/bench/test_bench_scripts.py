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


def test_inbox_pages_generates_cases_and_measures_every_page(tmp_path):
    result = subprocess.run(
        [sys.executable, "bench/inbox_pages.py", "-n", "300", "--requests", "3", "--db", "sqlite",
         "--sqlite-path", str(tmp_path / "inbox.db"), "--credentials", str(tmp_path / "credentials.json"), "--no-json"],
        cwd=ROOT, capture_output=True, text=True, timeout=600,
    )
    assert result.returncode == 0, result.stderr
    table = result.stdout.split("server time per request")[-1]
    rows = {line[16:48].strip(): line.split() for line in table.splitlines() if line.startswith("sqlite    query")}
    for page in ("inbox first page", "inbox filtered (stage+overdue)", "inbox searched: enterprise",
                 "inbox searched: case no", "case detail (queries.cases)"):
        assert page in rows, table
        assert "-" not in rows[page][-2], f"{page}: statements per request vary: {rows[page]}"
