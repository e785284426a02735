"""A consumer killed with SIGKILL mid-delivery: after a restart the event is applied exactly once.

The worker (``inbox_worker.py``) is a real ``python`` process applying an event through the
transactional inbox; the test kills it with SIGKILL, so nothing of it gets to clean up. Then the
"restarted" consumer (this test) receives the same event again, as an at-least-once relay would
redeliver it.
"""

from __future__ import annotations

import asyncio
import os
import signal
import subprocess
import sys
import uuid
from collections.abc import AsyncIterator, Callable
from pathlib import Path
from typing import Any

import pytest

from lexigram.events import DomainEvent
from lexigram.events.config import PostgresEventStoreConfig, SqliteConfig
from lexigram.events.idempotency import Inbox
from lexigram.events.stores.postgres.idempotency_store import PostgresIdempotencyStore
from lexigram.events.stores.sqlite.idempotency_store import SqliteIdempotencyStore

WORKER = Path(__file__).with_name("inbox_worker.py")

pytestmark = pytest.mark.skipif(not hasattr(signal, "SIGKILL"), reason="needs SIGKILL")


class InvoiceRequested(DomainEvent):
    order_id: str


class Consumer:
    """The billing consumer's database: its idempotency store, its invoices table, its worker."""

    def __init__(self, backend: str, target: str, store: Any, table: str) -> None:
        self.backend, self.target, self.store = backend, target, store
        self.table = table
        self.invoices = f"{table}_invoices"
        self.process: subprocess.Popen[str] | None = None

    def sql(self, statement: str) -> str:
        return statement if self.backend == "sqlite" else statement.replace("?", "$1")

    def start(self, event_id: uuid.UUID, command: str) -> None:
        arguments = [self.backend, self.target, self.table, self.invoices, str(event_id), command]
        self.process = subprocess.Popen(
            [sys.executable, str(WORKER), *arguments],
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )

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

    async def invoices_count(self) -> int:
        async with self.store.transaction() as transaction:
            rows = await transaction.session.fetch(f"SELECT count(*) FROM {self.invoices}")
        return int(rows[0][0])

    async def redeliver(self, event: InvoiceRequested) -> bool:
        async with Inbox(self.store, "billing").receive(event) as delivery:
            if delivery.seen:
                return False
            await delivery.session.execute(
                self.sql(f"INSERT INTO {self.invoices} (order_id) VALUES (?)"), event.order_id
            )
            return True


@pytest.fixture(params=["sqlite", "postgres"])
async def consumer(request: pytest.FixtureRequest, tmp_path: Path) -> AsyncIterator[Consumer]:
    if request.param == "sqlite":
        target = str(tmp_path / "billing.db")
        table = "keys"
        store: Any = SqliteIdempotencyStore(SqliteConfig(database=target, idempotency_table=table))
    else:
        factory: Callable[..., PostgresEventStoreConfig] = request.getfixturevalue("pg_config")
        config = factory()
        assert config.dsn is not None
        target, table = config.dsn.get_secret_value(), config.idempotency_table
        store = PostgresIdempotencyStore(config)
    built = Consumer(request.param, target, store, table)
    async with store.transaction() as transaction:
        await transaction.session.execute(f"CREATE TABLE {built.invoices} (order_id TEXT NOT NULL)")
    yield built
    built.kill()
    await store.close()


@pytest.fixture
def event() -> InvoiceRequested:
    return InvoiceRequested(order_id="o-1")


async def test_killed_after_its_write_but_before_the_commit_the_event_is_applied_once_on_restart(
    consumer: Consumer, event: InvoiceRequested
) -> None:
    consumer.start(event.event_id, "hang")
    await asyncio.to_thread(consumer.said, "written")

    consumer.kill()

    assert await consumer.invoices_count() == 0  # the half-done delivery left nothing
    assert await consumer.store.get(Inbox(consumer.store, "billing").key_of(event)) is None  # nor a record
    assert await consumer.redeliver(event) is True
    assert await consumer.redeliver(event) is False
    assert await consumer.invoices_count() == 1


async def test_killed_after_the_commit_the_redelivered_event_is_seen_and_skipped(
    consumer: Consumer, event: InvoiceRequested
) -> None:
    consumer.start(event.event_id, "commit")
    await asyncio.to_thread(consumer.said, "committed")

    consumer.kill()

    assert await consumer.redeliver(event) is False
    assert await consumer.invoices_count() == 1
