"""The ``lexigram-events`` command line and the order-fulfilment demo it runs."""

from __future__ import annotations

import sqlite3
import subprocess
import sys
from pathlib import Path

import pytest

from lexigram.events import ConfigurationError, EventsConfig
from lexigram.events.demo import run_demo
from lexigram.events.demo.storage import demo_config


async def test_the_demo_tells_the_whole_story(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)
    lines: list[str] = []
    report = await run_demo(say=lines.append)
    assert report.orders == {"o-1001": "shipped", "o-1002": "shipped", "o-1003": "cancelled"}
    assert report.events_stored == 12
    assert report.conflicts_resolved == 1
    assert report.rejected_commands == 1
    assert report.sql_rows == report.orders  # the SQL projection agrees with the event-handler read model
    assert report.returns == {"o-1002": "completed", "o-1001": "compensated"}
    text = "\n".join(lines)
    assert "clerk B's save is refused: stream 'o-1002' is at version 4" in text
    assert "o-1001 at version 5: status=shipped" in text
    assert "refund o-1001 52.48; charge o-1001 52.48" in text  # the failed return's refund undone
    database = tmp_path / "lexigram-demo.db"
    assert f"stored in the SQLite file {database}" in lines[0]  # the default: a SQLite file, named
    with sqlite3.connect(database) as connection:
        assert connection.execute("SELECT count(*) FROM events").fetchone() == (12,)
        assert connection.execute("SELECT count(*) FROM order_summary").fetchone() == (3,)


async def test_the_demo_can_run_again_on_its_own_file(tmp_path: Path) -> None:
    config = demo_config(tmp_path / "demo.db")
    first: list[str] = []
    second: list[str] = []
    assert await run_demo(config, say=first.append) == await run_demo(config, say=second.append)
    assert first == second
    with sqlite3.connect(tmp_path / "demo.db") as connection:
        assert connection.execute("SELECT max(position) FROM events").fetchone() == (12,)


async def test_the_demo_never_overwrites_a_file_that_is_not_its_own(tmp_path: Path) -> None:
    precious = tmp_path / "precious.db"
    with sqlite3.connect(precious) as connection:
        connection.execute("CREATE TABLE customers (name TEXT)")
        connection.execute("INSERT INTO customers VALUES ('Ada')")
    with pytest.raises(ConfigurationError, match="other tables"):
        await run_demo(demo_config(precious), say=lambda line: None)
    with sqlite3.connect(precious) as connection:
        assert connection.execute("SELECT name FROM customers").fetchall() == [("Ada",)]


async def test_the_demo_also_runs_in_memory() -> None:
    lines: list[str] = []
    report = await run_demo(EventsConfig(), say=lines.append)
    assert report.events_stored == 12
    assert "kept in memory" in lines[0]


def test_lexigram_events_demo_runs_from_the_shell(tmp_path: Path) -> None:
    result = subprocess.run(
        [sys.executable, "-m", "lexigram.events.cli", "demo"],
        capture_output=True,
        text=True,
        timeout=60,
        cwd=tmp_path,
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip().endswith("1 invalid command rejected.")
    assert str(tmp_path / "lexigram-demo.db") in result.stdout
    assert (tmp_path / "lexigram-demo.db").exists()

    notes = tmp_path / "notes.txt"
    notes.write_text("not a database")
    refused = subprocess.run(
        [sys.executable, "-m", "lexigram.events.cli", "demo", "--database", str(notes)],
        capture_output=True,
        text=True,
        timeout=60,
        cwd=tmp_path,
    )
    assert refused.returncode == 1
    assert "the demo will not use" in refused.stderr
    assert notes.read_text() == "not a database"


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
