"""``ProjectionSubProvider``: the application's ``ProjectionManager``, started and stopped with it.

The checkpoint store follows the event store backend: in memory for MEMORY, the same database
file for SQLITE, the same server (and pool) for POSTGRES. Redis and MongoDB have no checkpoint
store yet: their projections keep checkpoints in memory and replay from the start on every boot
(a warning says so). Projection classes come from ``EventsModule.projections(...)``; they are
built by the container (constructor parameters injected) and registered at boot (a class with a
``partitions`` attribute joins a consumer group, its leases on the PostgreSQL server or in
memory), then every projection starts when ``projections.auto_start`` is on.
"""

from __future__ import annotations

import logging
from typing import Any

from lexigram.contracts.events.leases import PartitionLeaseStoreProtocol
from lexigram.contracts.events.subscriptions import CheckpointStoreProtocol
from lexigram.di.graph import ModuleGraph
from lexigram.di.protocols import ContainerRegistrarProtocol, ContainerResolverProtocol
from lexigram.events.config import EventsConfig
from lexigram.events.di.stores import StoreSubProvider
from lexigram.events.projections.manager import ProjectionManager
from lexigram.events.stores.memory.checkpoint_store import InMemoryCheckpointStore
from lexigram.events.stores.memory.lease_store import InMemoryPartitionLeaseStore
from lexigram.events.types import EventStoreBackend

__all__ = ["SCOPED_PROJECTIONS", "ProjectionSubProvider", "checkpoint_store_for", "lease_store_for"]

logger = logging.getLogger("lexigram.events.projections")

SCOPED_PROJECTIONS = "lexigram.events.projections"
"""The contribution point where ``EventsModule.projections(...)`` lists its projection classes."""


def checkpoint_store_for(config: EventsConfig, event_store: Any) -> CheckpointStoreProtocol:
    """The checkpoint store that goes with the configured event store backend (no I/O yet)."""
    backend = config.event_store_backend
    if backend is EventStoreBackend.SQLITE and config.sqlite is not None:
        from lexigram.events.stores.sqlite.checkpoint_store import SqliteCheckpointStore

        return SqliteCheckpointStore(config.sqlite)
    if backend is EventStoreBackend.POSTGRES and config.postgres is not None:
        from lexigram.events.stores.postgres.checkpoint_store import PostgresCheckpointStore

        return PostgresCheckpointStore(config.postgres, provider=getattr(event_store, "pool", None))
    if backend in (EventStoreBackend.REDIS, EventStoreBackend.MONGODB):
        logger.warning(
            "the %s backend has no checkpoint store yet: projection checkpoints are kept in memory "
            "and projections replay from the start at every boot",
            backend.name,
        )
    return InMemoryCheckpointStore()


def lease_store_for(config: EventsConfig, event_store: Any) -> PartitionLeaseStoreProtocol:
    """Where partitioned projections claim partitions: PostgreSQL shares them between processes.

    Other backends keep leases in memory: their consumer groups live in one process.
    """
    if config.event_store_backend is EventStoreBackend.POSTGRES and config.postgres is not None:
        from lexigram.events.stores.postgres.lease_store import PostgresPartitionLeaseStore

        return PostgresPartitionLeaseStore(config.postgres, provider=getattr(event_store, "pool", None))
    return InMemoryPartitionLeaseStore()


class ProjectionSubProvider:
    """Builds the ``ProjectionManager``, registers the application's projections, runs them."""

    section = "projections"

    def __init__(self, config: EventsConfig, stores: StoreSubProvider) -> None:
        self._config = config
        self._stores = stores
        self._manager: ProjectionManager | None = None
        self._state = "created"

    @property
    def manager(self) -> ProjectionManager:
        """The manager (available once registered)."""
        if self._manager is None:
            raise RuntimeError("the ProjectionManager is built when the events provider registers")
        return self._manager

    async def register(self, container: ContainerRegistrarProtocol) -> None:
        """Build the manager with the backend's checkpoint store and bind it."""
        event_store = self._stores.stores.event_store
        settings = self._config.projections
        self._manager = ProjectionManager(
            event_store=event_store,
            checkpoint_store=checkpoint_store_for(self._config, event_store),
            config=settings,
            worker_id=settings.worker_id,
            lease_store=lease_store_for(self._config, event_store),
            lease_ttl=settings.lease_ttl,
        )
        container.register_instance(ProjectionManager, self._manager)
        self._state = "registered"

    async def boot(self, container: ContainerResolverProtocol) -> None:
        """Register the contributed projections and start them all (when ``auto_start``)."""
        manager = self.manager
        if container.has(ModuleGraph):
            graph = await container.resolve(ModuleGraph)
            for cls in graph.contributions(SCOPED_PROJECTIONS):
                projection = await container.resolve(cls)
                if (
                    getattr(projection, "name", None) not in manager.names
                    and type(projection).__name__ not in manager.names
                ):
                    manager.register(projection)
        if self._config.projections.auto_start and manager.names:
            await manager.start()
        self._state = "running"

    async def shutdown(self) -> None:
        """Stop the projections (checkpoints saved) and close the checkpoint store."""
        if self._manager is not None:
            await self._manager.close()
            self._state = "stopped"

    def health(self) -> dict[str, Any]:
        """The state of every projection."""
        if self._manager is None:
            return {"status": self._state}
        return self._manager.health()
