"""``SagaSubProvider``: the application's ``SagaManager``, with its saga store, run with the app.

The saga store follows the event store backend: ``SqlSagaStore`` on the same SQLite file for
SQLITE, on the same PostgreSQL server and pool for POSTGRES (table ``sagas_table`` of the
backend's config), in memory otherwise (a warning says so for Redis and MongoDB: their sagas do
not survive a restart). At boot the manager gets the application's command bus, registers the
saga classes contributed to ``SCOPED_SAGAS`` (``SagaBase`` classes as they are, other saga
classes built by the container), subscribes to the event bus when it has event-driven sagas, and
resumes the unfinished sagas of earlier runs in the background. At shutdown it stops driving
(releasing its claims, so the next boot or another process resumes them), leaves the event bus
and closes the saga store.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from typing import Any

from lexigram.contracts.events import CommandBusProtocol, EventBusProtocol
from lexigram.di.errors import LifecycleError
from lexigram.di.graph import ModuleGraph
from lexigram.di.protocols import ContainerRegistrarProtocol, ContainerResolverProtocol
from lexigram.events.config import EventsConfig
from lexigram.events.di.stores import StoreSubProvider
from lexigram.events.sagas.base import SagaBase
from lexigram.events.sagas.context import SagaServices
from lexigram.events.sagas.manager import SagaManager
from lexigram.events.sagas.memory_store import InMemorySagaStore
from lexigram.events.types import EventStoreBackend

__all__ = ["SCOPED_SAGAS", "SCOPED_SAGA_SERVICES", "SagaSubProvider", "saga_store_for"]

logger = logging.getLogger("lexigram.events.sagas")

SCOPED_SAGAS = "lexigram.events.sagas"
"""The contribution point where ``EventsModule.sagas(...)`` lists its saga classes."""
SCOPED_SAGA_SERVICES = "lexigram.events.sagas.services"
"""Where ``EventsModule.sagas(..., services={...})`` lists the services steps find in ``ctx.services``."""


def saga_store_for(config: EventsConfig, event_store: Any) -> Any:
    """The saga store that goes with the configured event store backend (no I/O yet)."""
    backend = config.event_store_backend
    if backend is EventStoreBackend.SQLITE and config.sqlite is not None:
        from lexigram.events.sagas.sql_store import SqlSagaStore

        return SqlSagaStore(config.sqlite)
    if backend is EventStoreBackend.POSTGRES and config.postgres is not None:
        from lexigram.events.sagas.sql_store import SqlSagaStore

        return SqlSagaStore(config.postgres, provider=getattr(event_store, "pool", None))
    if backend in (EventStoreBackend.REDIS, EventStoreBackend.MONGODB):
        logger.warning(
            "the %s backend has no saga store yet: saga state is kept in memory and unfinished sagas "
            "are not resumed after a restart",
            backend.name,
        )
    return InMemorySagaStore()


class SagaSubProvider:
    """Builds the ``SagaManager``, wires it to the buses, resumes and stops it with the application."""

    section = "sagas"

    def __init__(self, config: EventsConfig, stores: StoreSubProvider) -> None:
        self._config = config
        self._stores = stores
        self._manager: SagaManager | None = None
        self._event_bus: Any = None
        self._subscriber: Any = None
        self._resuming: asyncio.Task[None] | None = None
        self._state = "created"

    @property
    def manager(self) -> SagaManager:
        """The manager (available once registered)."""
        if self._manager is None:
            raise LifecycleError("the SagaManager is built when the events provider registers")
        return self._manager

    async def register(self, container: ContainerRegistrarProtocol) -> None:
        """Build the manager with the backend's saga store and bind it."""
        store = saga_store_for(self._config, self._stores.stores.event_store)
        self._manager = SagaManager(store=store, claim_ttl=self._config.sagas.claim_ttl)
        container.register_instance(SagaManager, self._manager)
        self._state = "registered"

    async def boot(self, container: ContainerResolverProtocol) -> None:
        """Attach the command bus, register the contributed sagas, follow the event bus, resume."""
        manager = self.manager
        connect = getattr(manager.store, "connect", None)
        if callable(connect):
            await connect()
        if container.has(CommandBusProtocol):
            manager.command_bus = await container.resolve(CommandBusProtocol)
        if container.has(ModuleGraph):
            graph = await container.resolve(ModuleGraph)
            services: dict[str, Any] = {}
            for named in graph.contributions(SCOPED_SAGA_SERVICES):
                for name, token in named.items():
                    services[name] = await container.resolve(token)
            if services:
                manager.services = SagaServices(services)
            for saga in graph.contributions(SCOPED_SAGAS):
                if isinstance(saga, type) and issubclass(saga, SagaBase):
                    manager.register(saga)
                else:
                    manager.register(await container.resolve(saga))
        if manager.routes_events and container.has(EventBusProtocol):
            self._event_bus = await container.resolve(EventBusProtocol)
            self._subscriber = manager.process
            self._event_bus.subscribe(object, self._subscriber)
        self._resuming = asyncio.create_task(self._resume_forever(manager), name="lexigram-saga-resume")
        self._state = "running"

    async def _resume_forever(self, manager: SagaManager) -> None:
        """Resume unfinished sagas now, then every ``resume_interval``: a process that dies after
        this one booted leaves its sagas to be picked up once their claims expire."""
        interval = self._config.sagas.resume_interval or manager.claim_ttl
        while True:
            try:
                await manager.resume_incomplete()
            except Exception:  # the next look tries again
                logger.exception("resuming unfinished sagas failed; trying again in %.0f s", interval)
            await asyncio.sleep(interval)

    async def shutdown(self) -> None:
        """Stop driving sagas (claims released), leave the event bus, close the saga store."""
        if self._manager is None:
            return
        if self._resuming is not None:
            self._resuming.cancel()
            with contextlib.suppress(asyncio.CancelledError, Exception):
                await self._resuming
            self._resuming = None
        await self._manager.stop()
        if self._event_bus is not None:
            self._event_bus.unsubscribe(object, self._subscriber)  # queued events are dropped at once
            self._event_bus = None
        await self._manager.store.close()
        self._state = "stopped"

    def health(self) -> dict[str, Any]:
        """The manager's store, registered sagas and running count."""
        if self._manager is None:
            return {"status": self._state}
        return {**self._manager.health(), "status": self._state}
