"""The application's buses get the backend's durable stores: dead letters and idempotency keys.

``BusSubProvider`` is given the ``StoreSubProvider`` (as ``EventsProvider`` builds them), and with
a SQLite or PostgreSQL backend the event bus records dead letters in the event store's database
and the command bus de-duplicates on it; the stores connect at boot and close at shutdown.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from lexigram.contracts.events.dead_letters import DeadLetterStoreProtocol
from lexigram.contracts.events.idempotency import IdempotencyStoreProtocol
from lexigram.di.container import Container
from lexigram.events import DomainEvent, IdempotentCommand
from lexigram.events.buses.dead_letters import InMemoryDeadLetterStore
from lexigram.events.config import EventBusConfig, EventsConfig, PostgresEventStoreConfig, SqliteConfig
from lexigram.events.di.buses import BusSubProvider
from lexigram.events.di.stores import StoreSubProvider
from lexigram.events.stores.memory.idempotency_store import InMemoryIdempotencyStore
from lexigram.events.stores.postgres.dead_letter_store import PostgresDeadLetterStore
from lexigram.events.stores.postgres.idempotency_store import PostgresIdempotencyStore
from lexigram.events.stores.sqlite.dead_letter_store import SqliteDeadLetterStore
from lexigram.events.stores.sqlite.idempotency_store import SqliteIdempotencyStore
from lexigram.events.types import EventStoreBackend


class InvoiceFailed(DomainEvent):
    invoice_id: str


class IssueInvoice(IdempotentCommand):
    invoice_id: str


async def run_app(config: EventsConfig) -> tuple[BusSubProvider, int]:
    """Boot the stores and buses, fail one delivery, charge twice; return the parts and the charges."""
    container = Container()
    stores = StoreSubProvider(config)
    buses = BusSubProvider(config, stores)
    await stores.register(container)
    await buses.register(container)
    await stores.boot(container)
    await buses.boot(container)
    charges: list[str] = []
    buses.command_bus.register(IssueInvoice, lambda command: charges.append(command.invoice_id))

    async def broken(event: InvoiceFailed) -> None:
        raise RuntimeError("printer on fire")

    buses.event_bus.subscribe(InvoiceFailed, broken)
    await buses.event_bus.publish(InvoiceFailed(invoice_id="i-1"))
    command = IssueInvoice(invoice_id="i-1", idempotency_key="issue-i-1")
    await buses.command_bus.dispatch(command)
    await buses.command_bus.dispatch(command)
    await buses.event_bus.flush(timeout=10)
    assert await container.resolve(DeadLetterStoreProtocol) is buses.event_bus.dead_letter_store
    assert await container.resolve(IdempotencyStoreProtocol) is buses.command_bus.idempotency_store
    assert await buses.event_bus.dead_letter_store.get_count() == 1
    await buses.shutdown()
    await stores.shutdown()
    return buses, len(charges)


def no_retries() -> EventBusConfig:
    return EventBusConfig(retry_failed_handlers=False)


async def test_sqlite_apps_keep_dead_letters_and_keys_in_the_event_stores_file(tmp_path: Path) -> None:
    sqlite = SqliteConfig(database=str(tmp_path / "app.db"))
    config = EventsConfig(event_store_backend=EventStoreBackend.SQLITE, sqlite=sqlite, event_bus=no_retries())
    buses, charges = await run_app(config)
    assert charges == 1
    assert isinstance(buses.event_bus.dead_letter_store, SqliteDeadLetterStore)
    assert isinstance(buses.command_bus.idempotency_store, SqliteIdempotencyStore)
    assert buses.health()["dead_letter_store"] == "SqliteDeadLetterStore"
    reopened = SqliteDeadLetterStore(sqlite)  # after shutdown, the entry is on disk
    assert [e.event.invoice_id for e in await reopened.list_entries()] == ["i-1"]
    await reopened.close()


async def test_postgres_apps_share_the_event_stores_pool(
    pg_config: Callable[..., PostgresEventStoreConfig],
) -> None:
    config = EventsConfig(
        event_store_backend=EventStoreBackend.POSTGRES, postgres=pg_config(), event_bus=no_retries()
    )
    buses, charges = await run_app(config)
    assert charges == 1
    assert isinstance(buses.event_bus.dead_letter_store, PostgresDeadLetterStore)
    assert isinstance(buses.command_bus.idempotency_store, PostgresIdempotencyStore)
    assert not buses.command_bus.idempotency_store.pool.is_open  # closed with the last store


async def test_memory_apps_deduplicate_in_memory_and_a_disabled_dead_letter_queue_stays_in_memory(
    tmp_path: Path,
) -> None:
    buses, charges = await run_app(EventsConfig(event_bus=no_retries()))
    assert charges == 1
    assert isinstance(buses.command_bus.idempotency_store, InMemoryIdempotencyStore)
    assert isinstance(buses.event_bus.dead_letter_store, InMemoryDeadLetterStore)

    sqlite = SqliteConfig(database=str(tmp_path / "app.db"))
    config = EventsConfig(
        event_store_backend=EventStoreBackend.SQLITE,
        sqlite=sqlite,
        event_bus=EventBusConfig(enable_dead_letter=False),
    )
    stores = StoreSubProvider(config)
    disabled = BusSubProvider(config, stores)
    await stores.register(Container())
    await disabled.register(Container())
    assert isinstance(disabled.event_bus.dead_letter_store, InMemoryDeadLetterStore)
    await disabled.shutdown()
