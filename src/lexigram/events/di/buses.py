"""``BusSubProvider``: the command, query and event buses, built from the events config.

With a persistent backend the buses get durable companions on the event store's database:

* the event bus records failed deliveries in a ``SqliteDeadLetterStore`` / ``PostgresDeadLetterStore``
  (``dead_letters_table``) when ``event_bus.enable_dead_letter`` is on, written with the event
  store's serializer when it exposes one (``event_serializer``), so encrypted events stay encrypted;
* the command bus de-duplicates idempotent commands on a ``SqliteIdempotencyStore`` /
  ``PostgresIdempotencyStore`` (``idempotency_table``); in memory for the other backends.

The PostgreSQL companions share the event store's pool. They connect at boot and close at
shutdown, after the event bus has drained (so the last dead letters are written).
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from contextlib import AsyncExitStack
from typing import TYPE_CHECKING, Any

from lexigram.contracts.events import (
    CommandBusProtocol,
    DomainEventPublisherProtocol,
    EventBusProtocol,
    QueryBusProtocol,
)
from lexigram.contracts.events.dead_letters import DeadLetterStoreProtocol
from lexigram.contracts.events.idempotency import IdempotencyStoreProtocol
from lexigram.di.protocols import ContainerRegistrarProtocol, ContainerResolverProtocol
from lexigram.events.buses.command import CommandBusImpl
from lexigram.events.buses.event import EventBusImpl
from lexigram.events.buses.hooks import HookRegistryProtocol
from lexigram.events.buses.query import QueryBusImpl
from lexigram.events.buses.tracing import TracerProtocol
from lexigram.events.config import EventsConfig
from lexigram.events.stores.memory.idempotency_store import InMemoryIdempotencyStore
from lexigram.events.types import EventStoreBackend

if TYPE_CHECKING:
    from lexigram.events.di.stores import StoreSubProvider

__all__ = ["BusSubProvider", "dead_letter_store_for", "idempotency_store_for"]

logger = logging.getLogger("lexigram.events.idempotency")


def dead_letter_store_for(config: EventsConfig, event_store: Any) -> DeadLetterStoreProtocol | None:
    """The durable dead-letter store of the configured backend, or None (the bus keeps them in memory)."""
    backend = config.event_store_backend
    serializer = getattr(event_store, "event_serializer", None)
    if backend is EventStoreBackend.SQLITE and config.sqlite is not None:
        from lexigram.events.stores.sqlite.dead_letter_store import SqliteDeadLetterStore

        return SqliteDeadLetterStore(config.sqlite, event_serializer=serializer)
    if backend is EventStoreBackend.POSTGRES and config.postgres is not None:
        from lexigram.events.stores.postgres.dead_letter_store import PostgresDeadLetterStore

        pool = getattr(event_store, "pool", None)
        return PostgresDeadLetterStore(config.postgres, provider=pool, event_serializer=serializer)
    return None


def idempotency_store_for(config: EventsConfig, event_store: Any) -> IdempotencyStoreProtocol:
    """The idempotency store of the configured backend: SQLite, PostgreSQL, or in memory."""
    backend = config.event_store_backend
    if backend is EventStoreBackend.SQLITE and config.sqlite is not None:
        from lexigram.events.stores.sqlite.idempotency_store import SqliteIdempotencyStore

        return SqliteIdempotencyStore(config.sqlite)
    if backend is EventStoreBackend.POSTGRES and config.postgres is not None:
        from lexigram.events.stores.postgres.idempotency_store import PostgresIdempotencyStore

        return PostgresIdempotencyStore(config.postgres, provider=getattr(event_store, "pool", None))
    return InMemoryIdempotencyStore()


class BusSubProvider:
    """Builds the buses and binds them under their protocols and ``*Impl`` classes.

    Given the ``StoreSubProvider``, it also gives the buses the backend's idempotency store and
    durable dead-letter store (bound as ``IdempotencyStoreProtocol`` and ``DeadLetterStoreProtocol``).
    At boot a ``TracerProtocol`` or ``HookRegistryProtocol`` found in the container is attached
    to the event bus. At shutdown the event bus is closed, which delivers every accepted event.
    """

    section = "buses"

    def __init__(self, config: EventsConfig, stores: StoreSubProvider | None = None) -> None:
        self._config = config
        self._stores = stores
        self.command_bus = CommandBusImpl(config=config.command_bus)
        self.query_bus = QueryBusImpl(config=config.query_bus)
        self.event_bus = EventBusImpl(config=config.event_bus)
        self.idempotency_store: IdempotencyStoreProtocol | None = None
        self.durable_dead_letters: DeadLetterStoreProtocol | None = None
        self._closing = AsyncExitStack()
        self._purging: asyncio.Task[None] | None = None

    async def register(self, container: ContainerRegistrarProtocol) -> None:
        """Bind the three buses (and their stores, when the backend has them)."""
        if self._stores is not None:
            self._attach_stores(self._stores.stores.event_store)
        container.register_instance(CommandBusProtocol, self.command_bus)
        container.register_instance(CommandBusImpl, self.command_bus)
        container.register_instance(QueryBusProtocol, self.query_bus)
        container.register_instance(QueryBusImpl, self.query_bus)
        container.register_instance(EventBusProtocol, self.event_bus)
        container.register_instance(EventBusImpl, self.event_bus)
        container.register_instance(DomainEventPublisherProtocol, self.event_bus)
        if self.idempotency_store is not None:
            container.register_instance(IdempotencyStoreProtocol, self.idempotency_store)
        container.register_instance(DeadLetterStoreProtocol, self.event_bus.dead_letter_store)

    def _attach_stores(self, event_store: Any) -> None:
        self.idempotency_store = idempotency_store_for(self._config, event_store)
        self.command_bus.idempotency_store = self.idempotency_store
        self._closing.push_async_callback(self.idempotency_store.close)
        if self._config.event_bus.enable_dead_letter:
            durable = dead_letter_store_for(self._config, event_store)
            if durable is not None:
                self.durable_dead_letters = durable
                self.event_bus.dead_letter_store = durable
                close: Any = getattr(durable, "close", None)
                if callable(close):
                    self._closing.push_async_callback(close)

    async def boot(self, container: ContainerResolverProtocol) -> None:
        """Connect the durable stores, then attach the application's tracer and hook registry."""
        for store in (self.idempotency_store, self.durable_dead_letters):
            connect: Any = getattr(store, "connect", None)
            if callable(connect):
                await connect()
        interval = self._config.command_bus.idempotency_purge_interval
        if self.idempotency_store is not None and interval is not None:
            self._purging = asyncio.create_task(
                _purge_forever(self.idempotency_store, interval), name="lexigram-idempotency-purge"
            )
        if container.has(TracerProtocol):
            self.event_bus.set_tracer(await container.resolve(TracerProtocol))
        if container.has(HookRegistryProtocol):
            self.event_bus.set_hook_registry(await container.resolve(HookRegistryProtocol))

    async def shutdown(self) -> None:
        """Close the event bus (refuse new events, deliver the accepted ones), then the durable stores."""
        purging, self._purging = self._purging, None
        if purging is not None:
            purging.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await purging
        try:
            await self.event_bus.close()
        finally:
            await self._closing.aclose()

    def health(self) -> dict[str, Any]:
        """Whether the event bus still accepts events, and which stores the buses use."""
        return {
            "command_bus": "up",
            "query_bus": "up",
            "event_bus": "closed" if self.event_bus.is_closed else "up",
            "idempotency_store": type(self.idempotency_store).__name__ if self.idempotency_store else None,
            "dead_letter_store": type(self.event_bus.dead_letter_store).__name__,
        }


async def _purge_forever(store: IdempotencyStoreProtocol, interval: float) -> None:
    """Delete expired idempotency records every ``interval`` seconds, until cancelled."""
    while True:
        await asyncio.sleep(interval)
        try:
            purged = await store.purge_expired()
        except Exception:  # the next round tries again
            logger.exception("purging expired idempotency keys failed; trying again in %.0f s", interval)
        else:
            if purged:
                logger.debug("purged %d expired idempotency keys", purged)
