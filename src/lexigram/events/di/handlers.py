"""``HandlerSubProvider``: gathers the application's handlers and wires them to its buses.

Handlers arrive by three routes, and one that arrives by several is wired once:

* every handler in the global decorator registry when the application boots;
* every handler found in ``handler_modules`` (see ``HandlerRegistry.discover``);
* the classes given to ``EventsModule.scope(...)``, contributed to ``SCOPED_HANDLERS``.

Handler classes are built once per application by the container, so their ``__init__``
parameters are injected by annotation; function handlers are used as they are.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from lexigram.di.graph import ModuleGraph
from lexigram.di.protocols import ContainerRegistrarProtocol, ContainerResolverProtocol
from lexigram.events.buses.command import CommandBusImpl
from lexigram.events.buses.event import EventBusImpl
from lexigram.events.buses.query import QueryBusImpl
from lexigram.events.handlers.registry import HandlerRegistry

__all__ = ["SCOPED_HANDLERS", "HandlerSubProvider"]

SCOPED_HANDLERS = "lexigram.events.handlers"
"""The contribution point where ``EventsModule.scope(...)`` lists its handler classes."""


class HandlerSubProvider:
    """Collects handlers into a ``HandlerRegistry`` and registers them with the buses."""

    section = "handlers"

    def __init__(self, handler_modules: Sequence[str] = ()) -> None:
        self.registry = HandlerRegistry()
        self._handler_modules = tuple(handler_modules)
        self._wired = False

    async def register(self, container: ContainerRegistrarProtocol) -> None:
        """Load the decorated handlers and the ``handler_modules``; make handler classes resolvable."""
        self.registry.load_decorators()
        for module_path in self._handler_modules:
            self.registry.discover(module_path)
        self.registry.register_with_container(container)
        container.register_instance(HandlerRegistry, self.registry)

    async def boot(self, container: ContainerResolverProtocol) -> None:
        """Add the scoped handlers, build the handler classes and register everything with the buses."""
        if container.has(ModuleGraph):
            graph = await container.resolve(ModuleGraph)
            for handler in graph.contributions(SCOPED_HANDLERS):
                self.registry.register(handler)
        instances: dict[type, Any] = {}
        for cls in self.registry.handler_classes():
            instances[cls] = await container.resolve(cls)
        self.registry.register_with_buses(
            command_bus=await container.resolve(CommandBusImpl),
            query_bus=await container.resolve(QueryBusImpl),
            event_bus=await container.resolve(EventBusImpl),
            handler_factory=instances.__getitem__,
        )
        self._wired = True

    async def shutdown(self) -> None:
        """Nothing to stop: the buses own the subscriptions."""

    def health(self) -> dict[str, Any]:
        """How many handlers of each kind are wired."""
        return {
            "status": "wired" if self._wired else "not wired",
            "commands": len(self.registry.get_command_handlers()),
            "queries": len(self.registry.get_query_handlers()),
            "events": sum(len(handlers) for handlers in self.registry.get_event_handlers().values()),
        }
