"""A separate process that applies one event through a transactional inbox, for the crash tests.

Run as ``python inbox_worker.py BACKEND TARGET IDEMPOTENCY_TABLE INVOICES_TABLE EVENT_ID COMMAND``:
``BACKEND`` is ``sqlite`` (``TARGET`` a database file) or ``postgres`` (``TARGET`` a DSN). The
consumer's write is one row in ``INVOICES_TABLE`` (created by the test).

Commands:

* ``hang``: inside ``inbox.receive(event)`` inserts the invoice row, prints ``written`` and sleeps
  inside the open transaction; the test kills it there (after the write, before the commit).
* ``commit``: applies the event, commits, prints ``committed`` and sleeps; the test kills it.
"""

from __future__ import annotations

import asyncio
import sys
from typing import Any
from uuid import UUID

from lexigram.events import DomainEvent
from lexigram.events.config import PostgresEventStoreConfig, SqliteConfig
from lexigram.events.idempotency import Inbox
from lexigram.events.stores.postgres.idempotency_store import PostgresIdempotencyStore
from lexigram.events.stores.sqlite.idempotency_store import SqliteIdempotencyStore


class InvoiceRequested(DomainEvent):
    order_id: str


def store_for(backend: str, target: str, table: str) -> Any:
    if backend == "sqlite":
        return SqliteIdempotencyStore(SqliteConfig(database=target, idempotency_table=table))
    return PostgresIdempotencyStore(PostgresEventStoreConfig(dsn=target, idempotency_table=table))


async def main(backend: str, target: str, table: str, invoices: str, event_id: str, command: str) -> None:
    store = store_for(backend, target, table)
    event = InvoiceRequested(order_id="o-1", event_id=UUID(event_id))
    insert = f"INSERT INTO {invoices} (order_id) VALUES ({'?' if backend == 'sqlite' else '$1'})"
    async with Inbox(store, "billing").receive(event) as delivery:
        if delivery.seen:
            print("seen", flush=True)
            return
        await delivery.session.execute(insert, event.order_id)
        if command == "hang":
            print("written", flush=True)
            await asyncio.sleep(600)
    print("committed", flush=True)
    await asyncio.sleep(600)


if __name__ == "__main__":
    asyncio.run(main(*sys.argv[1:7]))
