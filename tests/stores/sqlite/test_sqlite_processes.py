"""Several processes on one SQLite file: optimistic concurrency, gapless positions, crash safety.

Each worker is a real ``python`` process running ``process_worker.py`` with its own store. The
workers connect, say ``ready``, and start together when the test creates the "go" file.
"""

from __future__ import annotations

import asyncio
import itertools
import json
import os
import signal
import sqlite3
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

from lexigram.events import ConcurrencyError, SqliteConfig
from lexigram.events.stores.sqlite import SqliteEventStore
from lexigram.events.testing.contract_events import ConformanceItemAdded

WORKER = Path(__file__).with_name("process_worker.py")


class Workers:
    """Starts worker processes on one database and collects what each printed."""

    def __init__(self, folder: Path) -> None:
        self.database = str(folder / "shared.db")
        self.go_file = folder / "go"
        self.processes: list[subprocess.Popen[str]] = []

    def start(self, command: str, *args: object) -> subprocess.Popen[str]:
        process = subprocess.Popen(
            [sys.executable, str(WORKER), command, self.database, str(self.go_file), *map(str, args)],
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        self.processes.append(process)
        return process

    def wait_until_ready(self) -> None:
        for process in self.processes:
            assert process.stdout is not None
            line = process.stdout.readline().strip()
            if line != "ready":
                raise AssertionError(f"a worker failed to start: {line} {process.communicate()[1]}")

    def go(self) -> None:
        self.go_file.touch()

    def results(self) -> list[object]:
        outputs = []
        for process in self.processes:
            stdout, stderr = process.communicate(timeout=60)
            assert process.returncode == 0, stderr
            outputs.append(json.loads(stdout.strip().splitlines()[-1]))
        return outputs

    def kill_all(self) -> None:
        for process in self.processes:
            if process.poll() is None:
                process.kill()
                process.communicate()


@pytest.fixture
def workers(tmp_path: Path) -> Iterator[Workers]:
    started = Workers(tmp_path)
    yield started
    started.kill_all()


async def open_store(database: str) -> SqliteEventStore:
    store = SqliteEventStore(config=SqliteConfig(database=database))
    await store.connect()
    return store


async def test_50_appenders_in_two_processes_get_versions_1_to_50(workers: Workers) -> None:
    store = await open_store(workers.database)  # creates the schema before the race
    workers.start("append", "hot", 25, "A")
    workers.start("append", "hot", 25, "B")
    workers.wait_until_ready()
    workers.go()
    versions_a, versions_b = workers.results()

    assert isinstance(versions_a, list)
    assert isinstance(versions_b, list)
    assert sorted(versions_a + versions_b) == list(range(1, 51))
    stored = await store.read("hot")
    assert len(stored) == 50
    assert sorted(event.sku for event in stored) == sorted(
        [f"A-{n}" for n in range(25)] + [f"B-{n}" for n in range(25)]
    )
    assert await store.get_stream_version("hot") == 50
    assert [event.sequence_number for event in await store.read_all()] == list(range(1, 51))
    await store.close()


async def test_10_racing_creators_in_two_processes_have_one_winner(workers: Workers) -> None:
    store = await open_store(workers.database)
    workers.start("create", "new", 5, "A")
    workers.start("create", "new", 5, "B")
    workers.wait_until_ready()
    workers.go()
    outcomes = [outcome for result in workers.results() if isinstance(result, list) for outcome in result]

    assert sorted(outcomes) == ["conflict"] * 9 + ["won"]
    (winner,) = await store.read("new")
    assert await store.get_stream_version("new") == 1
    with pytest.raises(ConcurrencyError):
        await store.append("new", [winner], expected_version=0)
    await store.close()


async def test_a_catch_up_reader_sees_every_event_of_two_writer_processes_once_in_order(
    workers: Workers,
) -> None:
    reader = await open_store(workers.database)
    workers.start("write", "A", 400, 1)
    workers.start("write", "B", 400, 2)
    workers.wait_until_ready()
    workers.go()

    seen: list[tuple[int, str]] = []
    writers_in_log_order: list[str] = []
    passes_with_news = 0
    checkpoint = 0
    while True:
        writers_done = all(process.poll() is not None for process in workers.processes)
        before = len(seen)
        async for event in reader.stream_all(from_position=checkpoint, batch_size=7):
            seen.append((event.sequence_number, str(event.event_id)))
            writers_in_log_order.append(event.sku[0])
            checkpoint = event.sequence_number
        passes_with_news += len(seen) > before
        if writers_done:
            break  # one last pass after both writers ended has read everything
        await asyncio.sleep(0.001)
    written_a, written_b = workers.results()
    assert passes_with_news > 1, "the reader should have caught up while the writers were writing"
    assert sum(a != b for a, b in itertools.pairwise(writers_in_log_order)) > 1, (
        "the writers should interleave"
    )

    positions = [position for position, _ in seen]
    assert all(a < b for a, b in itertools.pairwise(positions)), "positions went backwards"
    assert positions == list(range(1, 801)), "a position was skipped or seen twice"
    assert isinstance(written_a, list)
    assert isinstance(written_b, list)
    assert sorted(event_id for _, event_id in seen) == sorted(written_a + written_b)
    await reader.close()


@pytest.mark.skipif(not hasattr(signal, "SIGKILL"), reason="needs SIGKILL")
async def test_a_process_killed_inside_an_append_leaves_the_file_consistent(workers: Workers) -> None:
    store = await open_store(workers.database)
    await store.append("order-1", [ConformanceItemAdded(order_id="order-1", sku="kept", quantity=1)])
    doomed = workers.start("hang", "order-1")
    assert doomed.stdout is not None
    assert doomed.stdout.readline().strip() == "inside", doomed.communicate()[1]

    os.kill(doomed.pid, signal.SIGKILL)
    doomed.wait()

    assert [event.sku for event in await store.read("order-1")] == ["kept"]
    assert await store.get_stream_version("order-1") == 1
    assert (
        await store.append("order-1", [ConformanceItemAdded(order_id="order-1", sku="next", quantity=1)]) == 2
    )
    assert [event.sequence_number for event in await store.read_all()] == [1, 2]
    await store.close()
    with sqlite3.connect(workers.database) as check:
        assert check.execute("PRAGMA integrity_check").fetchone() == ("ok",)
