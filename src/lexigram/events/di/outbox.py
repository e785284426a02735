"""``OutboxSubProvider``: the application's outbox relay, started and stopped with it.

With ``outbox_enabled`` the event store records every append in its outbox (in the same
transaction on SQLite and PostgreSQL), and this part runs an ``OutboxRelay`` that publishes those
events on the application's event bus, or to the ``OutboxPublisherProtocol`` the application
registered (a message broker adapter). It boots after the handlers are wired, so the first events
already find them, and it stops before the event bus drains, running one last pass first: events
appended before shutdown are published, not left for the next start (they would be, though).
"""

from __future__ import annotations

from typing import Any

from lexigram.contracts.events import EventBusProtocol
from lexigram.contracts.events.outbox import OutboxPublisherProtocol
from lexigram.di.protocols import ContainerRegistrarProtocol, ContainerResolverProtocol
from lexigram.events.config import EventsConfig
from lexigram.events.di.stores import StoreSubProvider
from lexigram.events.outbox.publishers import EventBusPublisher
from lexigram.events.outbox.relay import OutboxRelay
from lexigram.events.types import EventStoreBackend

__all__ = ["OUTBOX_BACKENDS", "OutboxSubProvider"]

OUTBOX_BACKENDS = frozenset({EventStoreBackend.MEMORY, EventStoreBackend.SQLITE, EventStoreBackend.POSTGRES})
"""The event store backends with a transactional outbox."""


class OutboxSubProvider:
    """Runs the outbox relay when ``outbox_enabled`` is on; otherwise does nothing."""

    section = "outbox"

    def __init__(self, config: EventsConfig, stores: StoreSubProvider) -> None:
        self._config = config
        self._stores = stores
        self.relay: OutboxRelay | None = None
        """The relay (built at boot when the outbox is enabled)."""

    async def register(self, container: ContainerRegistrarProtocol) -> None:
        """Nothing to bind: the relay is built at boot, once the event bus exists."""

    async def boot(self, container: ContainerResolverProtocol) -> None:
        """Start the relay over the event store's outbox, publishing on the application's event bus."""
        if not self._config.outbox_enabled:
            return
        event_store: Any = self._stores.stores.event_store
        publisher: OutboxPublisherProtocol
        if container.has(OutboxPublisherProtocol):
            publisher = await container.resolve(OutboxPublisherProtocol)
        else:
            publisher = EventBusPublisher(await container.resolve(EventBusProtocol))
        self.relay = OutboxRelay(
            event_store.outbox,
            publisher,
            config=self._config.outbox,
            poll_interval=self._config.outbox_poll_interval,
            appends=event_store.appends,
        )
        await self.relay.start()

    async def shutdown(self) -> None:
        """Run one last pass and stop the relay (idempotent)."""
        if self.relay is not None:
            await self.relay.stop()

    def health(self) -> dict[str, Any]:
        """Whether the outbox is on, and the relay's totals."""
        if self.relay is None:
            return {"status": "disabled" if not self._config.outbox_enabled else "created"}
        return self.relay.health()
