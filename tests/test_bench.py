"""The benchmarks run (tiny sizes only; figures are never asserted in tests)."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def test_the_benchmarks_run_on_tiny_sizes() -> None:
    result = subprocess.run(
        [sys.executable, "-m", "bench.run", "--quick", "--json"],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert result.returncode == 0, result.stderr
    lines = [json.loads(line) for line in result.stdout.splitlines() if line.strip()]
    assert "environment" in lines[0]
    workloads = {line["workload"] for line in lines[1:]}
    assert {"W5 aggregate-load", "W8 bus"} <= workloads
    assert all(line["ours"] > 0 and line["raw"] > 0 for line in lines[1:])
