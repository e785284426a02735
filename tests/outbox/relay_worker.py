"""An outbox relay process for the crash tests: ``python relay_worker.py DSN EVENTS_TABLE [drain]``.

It opens the PostgreSQL event store with its outbox, runs an ``OutboxRelay`` publishing to an
event bus whose handler is a durable consumer, prints ``started`` and runs until killed (or, with
``drain``, until the outbox is empty). The consumer records every delivery in
``<EVENTS_TABLE>_deliveries`` and applies each event to ``<EVENTS_TABLE>_effects`` through the
transactional ``Inbox`` (its records in ``<EVENTS_TABLE>_inbox``), all in one transaction: the
effect happens once however often the event is delivered.
"""

from __future__ import annotations

import asyncio
import sys

from relay_events import CrateLoaded  # beside this script, first on sys.path

from lexigram.events import EventBusConfig, EventBusImpl, Inbox
from lexigram.events.config import OutboxConfig, PostgresEventStoreConfig
from lexigram.events.outbox import EventBusPublisher, OutboxRelay
from lexigram.events.stores.postgres import PostgresEventStore, PostgresIdempotencyStore, PostgresPool

CLAIM_TTL = 1.0
"""Seconds before a killed relay's claims can be taken again."""


async def main(dsn: str, table: str, drain: bool) -> None:
    config = PostgresEventStoreConfig(
        dsn=dsn, events_table=table, idempotency_table=f"{table}_inbox", pool_max_size=4
    )
    pool = PostgresPool(config)
    store = PostgresEventStore(config, provider=pool, outbox=True)
    await store.connect()
    inbox = Inbox(PostgresIdempotencyStore(config, provider=pool), consumer="crate-counter", ttl=None)
    bus = EventBusImpl(config=EventBusConfig(max_handler_retries=0))

    async def apply(event: CrateLoaded) -> None:
        async with inbox.receive(event) as delivery:  # one transaction: the inbox record and the SQL
            await delivery.session.execute(
                f'INSERT INTO "{table}_deliveries" (event_id) VALUES ($1)', str(event.event_id)
            )
            if delivery.seen:
                return  # a redelivery: applied already
            await delivery.session.execute(
                f'INSERT INTO "{table}_effects" (event_id, stream_id, version) VALUES ($1, $2, $3)',
                str(event.event_id),
                event.crate,
                event.number,
            )

    bus.subscribe(CrateLoaded, apply)
    config = OutboxConfig(batch_size=25, claim_ttl=CLAIM_TTL, retry_backoff=0.05)
    relay = OutboxRelay(
        store.outbox, EventBusPublisher(bus), config=config, poll_interval=0.1, appends=store.appends
    )
    if drain:
        while await store.outbox.pending_count():
            await relay.run_once()
            await asyncio.sleep(0.05)
    else:
        await relay.start()
        print("started", flush=True)
        await asyncio.Event().wait()
    await bus.close()
    await store.close()


if __name__ == "__main__":
    asyncio.run(main(sys.argv[1], sys.argv[2], len(sys.argv) > 3 and sys.argv[3] == "drain"))
