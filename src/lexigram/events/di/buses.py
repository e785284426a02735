"""``BusSubProvider``: the command, query and event buses, built from the events config."""

from __future__ import annotations

from typing import Any

from lexigram.contracts.events import (
    CommandBusProtocol,
    DomainEventPublisherProtocol,
    EventBusProtocol,
    QueryBusProtocol,
)
from lexigram.di.protocols import ContainerRegistrarProtocol, ContainerResolverProtocol
from lexigram.events.buses.command import CommandBusImpl
from lexigram.events.buses.event import EventBusImpl
from lexigram.events.buses.hooks import HookRegistryProtocol
from lexigram.events.buses.query import QueryBusImpl
from lexigram.events.buses.tracing import TracerProtocol
from lexigram.events.config import EventsConfig

__all__ = ["BusSubProvider"]


class BusSubProvider:
    """Builds the buses and binds them under their protocols and ``*Impl`` classes.

    At boot a ``TracerProtocol`` or ``HookRegistryProtocol`` found in the container is attached
    to the event bus. At shutdown the event bus is closed, which delivers every accepted event.
    """

    section = "buses"

    def __init__(self, config: EventsConfig) -> None:
        self.command_bus = CommandBusImpl(config=config.command_bus)
        self.query_bus = QueryBusImpl(config=config.query_bus)
        self.event_bus = EventBusImpl(config=config.event_bus)

    async def register(self, container: ContainerRegistrarProtocol) -> None:
        """Bind the three buses."""
        container.register_instance(CommandBusProtocol, self.command_bus)
        container.register_instance(CommandBusImpl, self.command_bus)
        container.register_instance(QueryBusProtocol, self.query_bus)
        container.register_instance(QueryBusImpl, self.query_bus)
        container.register_instance(EventBusProtocol, self.event_bus)
        container.register_instance(EventBusImpl, self.event_bus)
        container.register_instance(DomainEventPublisherProtocol, self.event_bus)

    async def boot(self, container: ContainerResolverProtocol) -> None:
        """Attach the application's tracer and hook registry, when it has them."""
        if container.has(TracerProtocol):
            self.event_bus.set_tracer(await container.resolve(TracerProtocol))
        if container.has(HookRegistryProtocol):
            self.event_bus.set_hook_registry(await container.resolve(HookRegistryProtocol))

    async def shutdown(self) -> None:
        """Close the event bus: refuse new events and deliver the accepted ones."""
        await self.event_bus.close()

    def health(self) -> dict[str, Any]:
        """Whether the event bus still accepts events."""
        return {
            "command_bus": "up",
            "query_bus": "up",
            "event_bus": "closed" if self.event_bus.is_closed else "up",
        }
