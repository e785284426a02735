"""A process killed while it writes a read model and its checkpoint leaves both or neither.

The worker (``checkpoint_worker.py``) is a real ``python`` process with its own checkpoint store
on the test's file; the test kills it with SIGKILL, so nothing of it gets to clean up.
"""

from __future__ import annotations

import asyncio
import os
import signal
import sqlite3
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

from lexigram.contracts.events.records import Checkpoint
from lexigram.events import SqliteCheckpointStore, SqliteConfig

WORKER = Path(__file__).with_name("checkpoint_worker.py")

pytestmark = pytest.mark.skipif(not hasattr(signal, "SIGKILL"), reason="needs SIGKILL")


class Worker:
    """One worker process on the test's database."""

    def __init__(self, database: str) -> None:
        self.database = database
        self.process: subprocess.Popen[str] | None = None

    def start(self, command: str) -> subprocess.Popen[str]:
        self.process = subprocess.Popen(
            [sys.executable, str(WORKER), command, self.database],
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        return self.process

    def said(self, expected: str) -> None:
        assert self.process is not None
        assert self.process.stdout is not None
        line = self.process.stdout.readline().strip()
        if line != expected:
            raise AssertionError(f"the worker said {line!r}: {self.process.communicate()[1]}")

    def kill(self) -> None:
        if self.process is not None and self.process.poll() is None:
            os.kill(self.process.pid, signal.SIGKILL)
            self.process.communicate()


@pytest.fixture
def worker(tmp_path: Path) -> Iterator[Worker]:
    started = Worker(str(tmp_path / "events.db"))
    yield started
    started.kill()


async def prepared_store(database: str) -> SqliteCheckpointStore:
    store = SqliteCheckpointStore(SqliteConfig(database=database))
    async with store.transaction() as transaction:
        await transaction.session.execute(
            "CREATE TABLE totals (id TEXT PRIMARY KEY, amount INTEGER, padding TEXT)"
        )
        await transaction.save(Checkpoint("totals", 1, state="running"))
    return store


def check_integrity(database: str) -> None:
    with sqlite3.connect(database) as connection:
        assert connection.execute("PRAGMA integrity_check").fetchone() == ("ok",)


async def test_a_process_killed_inside_a_transaction_leaves_the_old_checkpoint_and_no_row(
    worker: Worker,
) -> None:
    store = await prepared_store(worker.database)
    worker.start("hang")
    await asyncio.to_thread(worker.said, "inside")
    assert os.path.getsize(worker.database + "-wal") > 4 * 1024 * 1024  # uncommitted pages on disk

    worker.kill()

    loaded = await store.load("totals")
    assert (loaded.position, loaded.state) == (1, "running")
    async with store.transaction() as transaction:
        assert await transaction.session.fetch("SELECT count(*) FROM totals") == [(0,)]
        await transaction.session.execute("INSERT INTO totals VALUES ('after', 1, '')")  # the lock is free
        await transaction.save(Checkpoint("totals", 2))
    assert (await store.load("totals")).position == 2
    await store.close()
    check_integrity(worker.database)


async def test_a_process_killed_between_commits_leaves_rows_and_checkpoint_in_agreement(
    worker: Worker,
) -> None:
    store = await prepared_store(worker.database)
    await store.close()
    for _ in range(3):
        worker.start("commit-forever")
        await asyncio.to_thread(worker.said, "committing")
        await asyncio.sleep(0.05)
        worker.kill()

        with sqlite3.connect(worker.database) as connection:
            (rows, highest) = connection.execute("SELECT count(*), max(amount) FROM totals").fetchone()
            (position,) = connection.execute(
                "SELECT position FROM projection_checkpoints WHERE projection_name = 'totals'"
            ).fetchone()
            connection.execute("DELETE FROM totals")  # the next worker starts again from row 1
        assert rows >= 1
        assert rows == highest == position  # every committed row has its checkpoint, and no more
    check_integrity(worker.database)
