"""The ``lexigram-events`` command line and the order-fulfilment demo it runs."""

from __future__ import annotations

import subprocess
import sys

from lexigram.events.demo import run_demo


async def test_the_demo_tells_the_whole_story() -> None:
    lines: list[str] = []
    report = await run_demo(say=lines.append)
    assert report.orders == {"o-1001": "shipped", "o-1002": "shipped", "o-1003": "cancelled"}
    assert report.events_stored == 12
    assert report.conflicts_resolved == 1
    assert report.rejected_commands == 1
    text = "\n".join(lines)
    assert "clerk B's save is refused: stream 'o-1002' is at version 4" in text
    assert "o-1001 at version 5: status=shipped" in text


def test_lexigram_events_demo_runs_from_the_shell() -> None:
    result = subprocess.run(
        [sys.executable, "-m", "lexigram.events.cli", "demo"], capture_output=True, text=True, timeout=60
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip().endswith("1 invalid command rejected.")


def test_version_and_unknown_commands() -> None:
    version = subprocess.run(
        [sys.executable, "-m", "lexigram.events.cli", "--version"], capture_output=True, text=True, timeout=60
    )
    assert version.returncode == 0
    assert version.stdout.startswith("lexigram-events, version ")
    unknown = subprocess.run(
        [sys.executable, "-m", "lexigram.events.cli", "nonsense"], capture_output=True, text=True, timeout=60
    )
    assert unknown.returncode == 2
    assert "No such command" in unknown.stderr
