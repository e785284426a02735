"""``StoreSubProvider``: builds the event and snapshot stores for the configured backend.

The backend picks a factory from ``STORE_FACTORIES``. A backend without an entry is not available
in this version and fails the boot with a ``ConfigurationError``; persistent backends join the table
as they arrive. A store with an async ``connect()`` is connected at boot; every store is closed at
shutdown.
"""

from __future__ import annotations

from collections.abc import Callable
from contextlib import AsyncExitStack
from dataclasses import dataclass
from typing import Any

from lexigram.contracts.events import EventStoreProtocol, SnapshotStoreProtocol
from lexigram.contracts.exceptions import ConfigurationError
from lexigram.di.errors import LifecycleError
from lexigram.di.protocols import ContainerRegistrarProtocol, ContainerResolverProtocol
from lexigram.events.config import EventsConfig
from lexigram.events.stores.base import AbstractEventStore
from lexigram.events.stores.memory import InMemoryEventStore, InMemorySnapshotStore
from lexigram.events.stores.snapshot_base import AbstractSnapshotStore
from lexigram.events.types import EventStoreBackend

__all__ = ["STORE_FACTORIES", "StoreFactory", "StorePair", "StoreSubProvider"]


@dataclass(frozen=True, slots=True)
class StorePair:
    """The event store and the snapshot store of one backend."""

    event_store: AbstractEventStore
    snapshot_store: AbstractSnapshotStore
    extras: tuple[Any, ...] = ()
    """Further stores the two depend on (a subject-key store), closed with them."""


StoreFactory = Callable[..., StorePair]
"""``factory(config)`` builds a backend's stores from the events config, and
``factory(config, schema_evolution)`` when the application has a schema evolution; no I/O:
connecting happens at boot."""


def _memory_stores(config: EventsConfig, schema_evolution: Any = None) -> StorePair:
    return StorePair(
        InMemoryEventStore(
            schema_evolution,
            max_events_per_stream=config.memory.max_events_per_stream,
            outbox=config.outbox_enabled,
        ),
        InMemorySnapshotStore(max_snapshots_per_aggregate=config.snapshots.max_snapshots_per_aggregate),
    )


def _sqlite_stores(config: EventsConfig, schema_evolution: Any = None) -> StorePair:
    from lexigram.events.stores.sqlite.wiring import sqlite_stores

    event_store, snapshot_store, *extras = sqlite_stores(config, schema_evolution)
    return StorePair(event_store, snapshot_store, tuple(extras))


def _redis_stores(config: EventsConfig, schema_evolution: Any = None) -> StorePair:
    from lexigram.events.stores.redis.wiring import redis_stores

    return StorePair(*redis_stores(config, schema_evolution))


def _mongodb_stores(config: EventsConfig, schema_evolution: Any = None) -> StorePair:
    from lexigram.events.stores.mongodb.wiring import mongodb_stores

    return StorePair(*mongodb_stores(config, schema_evolution))


def _postgres_stores(config: EventsConfig, schema_evolution: Any = None) -> StorePair:
    from lexigram.events.stores.postgres.wiring import postgres_stores

    event_store, snapshot_store, *extras = postgres_stores(config, schema_evolution)
    return StorePair(event_store, snapshot_store, tuple(extras))


STORE_FACTORIES: dict[EventStoreBackend, StoreFactory] = {
    EventStoreBackend.MEMORY: _memory_stores,
    EventStoreBackend.SQLITE: _sqlite_stores,
    EventStoreBackend.POSTGRES: _postgres_stores,
    EventStoreBackend.REDIS: _redis_stores,
    EventStoreBackend.MONGODB: _mongodb_stores,
}
"""Each available backend and the factory of its stores."""


class StoreSubProvider:
    """Builds, connects and closes the stores; binds them under their protocols and base classes."""

    section = "stores"

    def __init__(self, config: EventsConfig, schema_evolution: Any = None) -> None:
        self._config = config
        self._schema_evolution = schema_evolution
        self._stores: StorePair | None = None
        self._closing = AsyncExitStack()
        self._state = "created"

    @property
    def stores(self) -> StorePair:
        """The stores (available once registered)."""
        if self._stores is None:
            raise LifecycleError("the stores are built when the events provider registers")
        return self._stores

    async def register(self, container: ContainerRegistrarProtocol) -> None:
        """Build the stores of the configured backend and bind them."""
        backend = self._config.event_store_backend
        factory = STORE_FACTORIES.get(backend)
        if factory is None:
            available = ", ".join(b.name for b in STORE_FACTORIES)
            raise ConfigurationError(
                f"the {backend.name} event store backend is not available in this version "
                f"(available: {available})"
            )
        evolution = self._schema_evolution
        stores = factory(self._config) if evolution is None else factory(self._config, evolution)
        self._stores = stores
        for extra in stores.extras:
            self._closing.push_async_callback(extra.close)
        self._closing.push_async_callback(stores.snapshot_store.close)
        self._closing.push_async_callback(stores.event_store.close)
        event_tokens: tuple[type, ...] = (EventStoreProtocol, AbstractEventStore, type(stores.event_store))
        for token in event_tokens:
            container.register_instance(token, stores.event_store)
        snapshot_tokens: tuple[type, ...] = (
            SnapshotStoreProtocol,
            AbstractSnapshotStore,
            type(stores.snapshot_store),
        )
        for token in snapshot_tokens:
            container.register_instance(token, stores.snapshot_store)
        self._state = "registered"

    async def boot(self, container: ContainerResolverProtocol) -> None:
        """Connect the stores that hold a connection."""
        for store in (self.stores.event_store, self.stores.snapshot_store):
            connect: Any = getattr(store, "connect", None)
            if callable(connect):
                await connect()
        self._state = "running"

    async def shutdown(self) -> None:
        """Close the event store, then the snapshot store (both, even if the first fails)."""
        await self._closing.aclose()
        if self._stores is not None:
            self._state = "closed"

    def health(self) -> dict[str, Any]:
        """The backend, the store classes and whether they are running."""
        report: dict[str, Any] = {"backend": self._config.event_store_backend.value, "status": self._state}
        if self._stores is not None:
            report["event_store"] = type(self._stores.event_store).__name__
            report["snapshot_store"] = type(self._stores.snapshot_store).__name__
        return report
