"""``HandlerRegistry``: which handler handles which message, and wiring them to buses.

::

    registry = HandlerRegistry()
    registry.discover("app.handlers")            # import and scan a module or package
    registry.load_decorators()                   # everything decorated so far
    registry.register_with_buses(command_bus=commands, query_bus=queries, event_bus=events)
    registry.register_with_container(container)  # handler classes become resolvable

Commands and queries have one handler per type; registering a different one raises
``DuplicateHandlerError``. A handler that arrives by several routes is kept once.
"""

from __future__ import annotations

import weakref
from collections.abc import Callable
from typing import Any, Protocol

from lexigram.di.protocols import ContainerRegistrarProtocol
from lexigram.events.decorators import add_clear_listener, get_all_handlers
from lexigram.events.exceptions import DuplicateHandlerError
from lexigram.events.handlers.discovery import find_handlers, import_modules
from lexigram.events.handlers.inspection import HandlerSpec, handler_spec

__all__ = ["HandlerRegistry"]


class _RegistersHandlers(Protocol):
    """A command or query bus: one handler per message type."""

    def register(self, message_type: type, handler: Any) -> Any:
        """Register the handler of one message type."""
        ...


class _SubscribesHandlers(Protocol):
    """An event bus: any number of handlers per event type."""

    def subscribe(self, event_type: type, handler: Any) -> Any:
        """Subscribe a handler to an event type."""
        ...


def _name(handler: Any) -> str:
    module = getattr(handler, "__module__", None)
    name = getattr(handler, "__qualname__", None) or type(handler).__qualname__
    return f"{module}.{name}" if module else name


class HandlerRegistry:
    """Registry for handler discovery and registration.

    It tracks which handler (a function, a class, or an object with ``handle``) handles which
    command, query and event type, and registers them with buses and containers.
    ``clear_handler_registry()`` also empties every ``HandlerRegistry``.
    """

    def __init__(self) -> None:
        self._commands: dict[type, Any] = {}
        self._queries: dict[type, Any] = {}
        self._events: dict[type, list[Any]] = {}
        _live_registries.add(self)

    @classmethod
    def with_defaults(cls) -> HandlerRegistry:
        """Return a new, empty registry, ready for ``register()`` or the decorators."""
        return cls()

    # -- adding handlers ----------------------------------------------------------------------

    def register_command_handler(self, command_type: type, handler_type: Any) -> None:
        """Register the handler of a command type (one per type)."""
        self._add_single(self._commands, command_type, handler_type)

    def register_query_handler(self, query_type: type, handler_type: Any) -> None:
        """Register the handler of a query type (one per type)."""
        self._add_single(self._queries, query_type, handler_type)

    def register_event_handler(self, event_type: type, handler_type: Any) -> None:
        """Register a handler of an event type (any number per type; each handler once)."""
        handlers = self._events.setdefault(event_type, [])
        if not any(existing is handler_type for existing in handlers):
            handlers.append(handler_type)

    def register(self, handler: Any) -> HandlerSpec:
        """Register a handler by what it declares and return what was read from it.

        The kind and message types come from its decorator, its handler base class (with type
        arguments or a typed ``handle``), or the message's base class. ``TypeError`` when none of
        these tells.
        """
        return self._add(handler_spec(handler))

    def load_decorators(self) -> int:
        """Register every handler in the global decorator registry; return how many there are."""
        infos = get_all_handlers()
        for info in infos:
            self.register(info.handler)
        return len(infos)

    def discover(self, module_path: str, recursive: bool = True) -> int:
        """Import a module (and, for a package, its submodules) and register the handlers in it.

        Handlers are decorated objects and subclasses of the handler base classes defined in the
        scanned modules; this works even after ``clear_handler_registry()``. Returns the number of
        handlers found. A missing module raises ``ImportError``.
        """
        found = 0
        for module in import_modules(module_path, recursive):
            for spec in find_handlers(module):
                self._add(spec)
                found += 1
        return found

    def _add(self, spec: HandlerSpec) -> HandlerSpec:
        add = {
            "command": self.register_command_handler,
            "query": self.register_query_handler,
            "event": self.register_event_handler,
        }[spec.kind]
        for message_type in spec.message_types:
            add(message_type, spec.handler)
        return spec

    @staticmethod
    def _add_single(table: dict[type, Any], message_type: type, handler: Any) -> None:
        existing = table.get(message_type)
        if existing is None:
            table[message_type] = handler
        elif existing is not handler:
            raise DuplicateHandlerError(message_type.__qualname__, _name(existing), _name(handler))

    # -- reading ------------------------------------------------------------------------------

    def get_command_handlers(self) -> dict[type, Any]:
        """Every command type with its handler."""
        return dict(self._commands)

    def get_query_handlers(self) -> dict[type, Any]:
        """Every query type with its handler."""
        return dict(self._queries)

    def get_event_handlers(self) -> dict[type, list[Any]]:
        """Every event type with its handlers, in registration order."""
        return {event_type: list(handlers) for event_type, handlers in self._events.items()}

    def handler_classes(self) -> list[type]:
        """The distinct handler classes (not functions or instances), in registration order."""
        classes: list[type] = []
        for handler in self._all_handlers():
            if isinstance(handler, type) and handler not in classes:
                classes.append(handler)
        return classes

    def _all_handlers(self) -> list[Any]:
        handlers = [*self._commands.values(), *self._queries.values()]
        for subscribed in self._events.values():
            handlers.extend(subscribed)
        return handlers

    def __len__(self) -> int:
        """The number of distinct handlers."""
        return len({id(handler) for handler in self._all_handlers()})

    def clear(self) -> None:
        """Forget every handler."""
        self._commands.clear()
        self._queries.clear()
        self._events.clear()

    # -- wiring -------------------------------------------------------------------------------

    def register_with_buses(
        self,
        command_bus: _RegistersHandlers | None = None,
        query_bus: _RegistersHandlers | None = None,
        event_bus: _SubscribesHandlers | None = None,
        handler_factory: Callable[[type], Any] | None = None,
    ) -> None:
        """Register every handler with the given buses.

        Handler classes are instantiated once each, through ``handler_factory`` when given and
        with no arguments otherwise; functions and objects are registered as they are.
        """
        instances: dict[type, Any] = {}

        def instance_of(handler: Any) -> Any:
            if not isinstance(handler, type):
                return handler
            if handler not in instances:
                instances[handler] = handler_factory(handler) if handler_factory else handler()
            return instances[handler]

        if command_bus is not None:
            for command_type, handler in self._commands.items():
                command_bus.register(command_type, instance_of(handler))
        if query_bus is not None:
            for query_type, handler in self._queries.items():
                query_bus.register(query_type, instance_of(handler))
        if event_bus is not None:
            for event_type, handlers in self._events.items():
                for handler in handlers:
                    event_bus.subscribe(event_type, instance_of(handler))

    def register_with_container(self, container: ContainerRegistrarProtocol) -> None:
        """Register each handler class in ``container`` (unless it is there already).

        Resolving a handler class then builds it once, with its ``__init__`` dependencies injected.
        """
        for cls in self.handler_classes():
            if not container.has(cls):
                container.register_class(cls)


_live_registries: weakref.WeakSet[HandlerRegistry] = weakref.WeakSet()


def _clear_live_registries() -> None:
    for registry in list(_live_registries):
        registry.clear()


add_clear_listener(_clear_live_registries)
