"""The benchmarks run (tiny sizes only; figures are never asserted in tests)."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def test_the_benchmarks_run_on_tiny_sizes_on_every_backend(postgres_dsn: str) -> None:
    environment = {**os.environ, "LEXIGRAM_TEST_PG_DSN": postgres_dsn}
    result = subprocess.run(
        [sys.executable, "-m", "bench.run", "--quick", "--json"],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=300,
        env=environment,
    )
    assert result.returncode == 0, result.stdout + result.stderr
    lines = [json.loads(line) for line in result.stdout.splitlines() if line.strip()]
    assert "environment" in lines[0]
    assert lines[0]["environment"]["backends"] == ["sqlite", "postgres"]
    figures = [line for line in lines if "workload" in line]
    measured = {(line["workload"].split()[0], line["backend"]) for line in figures}
    for workload in ("W1", "W2", "W3", "W4", "W5", "W6", "W7"):
        assert {(workload, "sqlite"), (workload, "postgres")} <= measured, workload
    assert ("W8", "memory") in measured
    timed = [line for line in figures if line["unit"] in ("ev/s", "ms", "us", "x")]
    assert all(line["ours"] > 0 and line["raw"] > 0 for line in timed)
    assert all(line["ours"] >= 0 and line["raw"] >= 0 for line in figures)  # counts may be 0
    checks = [line for line in lines if "check" in line]
    assert checks, "W3 records its lost-event checks"
    assert all(line["ok"] for line in checks), checks
