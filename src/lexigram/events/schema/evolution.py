"""``SchemaEvolution``: upcasters that bring stored events to their current shape, and downcasters.

An event's current version is its class's ``schema_version`` default. When its shape changes, raise
that default and register an upcaster from the old version; stores then apply the chain on read,
to the stored data, before the class is built, so no class of an old shape is ever needed::

    class OrderPlaced(DomainEvent):
        schema_version: int = 3
        order_id: str
        total_cents: int
        customer_id: str

    evolution = SchemaEvolution()

    @evolution.upcaster("OrderPlaced", 1)          # v1 -> v2
    def amount_in_cents(data: dict) -> dict:
        data["total_cents"] = round(data.pop("amount") * 100)
        return data

    def customer_id(data: dict) -> dict:             # v2 -> v3
        data["customer_id"] = data.pop("customer")
        return data

    evolution.register_upcaster("OrderPlaced", 2, 3, customer_id)
    store = SqliteEventStore(config, schema_evolution=evolution)

An upcaster takes the stored document (a dict that is the reader's own: it may change it and
return it, or return a new dict) and returns the document at the next version; the chain sets
``schema_version`` itself. A downcaster goes the other way, producing an older shape for old
readers and outgoing integration messages (``downcast(event, to_version)``).

Reading costs nothing for events already at their current version: ``upcast`` does one dictionary
lookup for a type without upcasters, and one comparison more for a type with them.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from typing import Any, cast

from lexigram.contracts.messages import DomainEvent
from lexigram.events.exceptions import EventVersionSkewError, UnknownEventTypeError, UpcastChainError
from lexigram.events.schema.chains import Converter, Direction, TypeChains
from lexigram.events.schema.registry import SchemaRegistry, event_type_name
from lexigram.events.schema.versions import stored_schema_version

__all__ = ["Converter", "SchemaEvolution"]


class SchemaEvolution:
    """The upcasters and downcasters of a service's event types (see the module docs).

    ``registry`` says which class (and so which current version) each stored type name has; it
    defaults to an empty ``SchemaRegistry``, which falls back to every ``DomainEvent`` subclass
    defined in the process. Register everything at start-up, before stores read.
    """

    def __init__(self, registry: SchemaRegistry | None = None) -> None:
        if registry is not None and not isinstance(registry, SchemaRegistry):
            raise TypeError(f"registry must be a SchemaRegistry, got {type(registry).__name__}")
        self.registry = registry if registry is not None else SchemaRegistry()
        self._types: dict[str, TypeChains] = {}
        self._lock = threading.Lock()

    # --- registering -----------------------------------------------------------------------------

    def register_upcaster(
        self,
        event_type: str | type[DomainEvent],
        from_version: int,
        to_version: int | None = None,
        fn: Converter | None = None,
    ) -> Converter:
        """Register ``fn`` to turn ``event_type`` documents of ``from_version`` into ``to_version``.

        ``to_version`` defaults to ``from_version + 1``. Raises ``UpcastChainError`` for a version
        pair that does not go up, a second upcaster from the same version, or (when the event
        class is known) a version beyond the class's current one. Returns ``fn``.
        """
        target = from_version + 1 if to_version is None and type(from_version) is int else to_version
        return self._register(Direction.UP, event_type, from_version, target, fn)

    def upcaster(
        self, event_type: str | type[DomainEvent], from_version: int, to_version: int | None = None
    ) -> Callable[[Converter], Converter]:
        """Decorator form of ``register_upcaster``: ``@evolution.upcaster("OrderPlaced", 1)``."""

        def register(fn: Converter) -> Converter:
            return self.register_upcaster(event_type, from_version, to_version, fn)

        return register

    def register_downcaster(
        self,
        event_type: str | type[DomainEvent],
        from_version: int,
        to_version: int | None = None,
        fn: Converter | None = None,
    ) -> Converter:
        """Register ``fn`` to turn ``event_type`` documents of ``from_version`` into the older ``to_version``.

        ``to_version`` defaults to ``from_version - 1``. Returns ``fn``.
        """
        target = from_version - 1 if to_version is None and type(from_version) is int else to_version
        return self._register(Direction.DOWN, event_type, from_version, target, fn)

    def downcaster(
        self, event_type: str | type[DomainEvent], from_version: int, to_version: int | None = None
    ) -> Callable[[Converter], Converter]:
        """Decorator form of ``register_downcaster``: ``@evolution.downcaster("OrderPlaced", 3)``."""

        def register(fn: Converter) -> Converter:
            return self.register_downcaster(event_type, from_version, to_version, fn)

        return register

    def _register(
        self, direction: Direction, event_type: Any, from_version: Any, to_version: Any, fn: Any
    ) -> Converter:
        name = event_type_name(event_type)
        if isinstance(event_type, type) and name not in self.registry:
            self.registry.register(event_type, name=name)
        if not callable(fn):
            raise TypeError(
                f"the {direction.value}caster of {name} v{from_version} must be a callable "
                f"taking and returning a dict, got {fn!r}"
            )
        with self._lock:
            chains = self._types.get(name)
            if chains is None:
                chains = TypeChains(name)
            chains.add(direction, from_version, to_version, fn, self.registry.current_version(name))
            self._types[name] = chains
        return cast(Converter, fn)

    # --- reading ---------------------------------------------------------------------------------

    def upcast(self, data: dict[str, Any]) -> dict[str, Any]:
        """Bring a stored event document to its type's current version (stores call this on read).

        Documents of types without upcasters, at their current version, of an unknown type or of
        a newer version come back unchanged (the store reports the last two). A missing link in
        the chain raises ``UpcastChainError``.
        """
        chains = self._types.get(data.get("event_type", ""))
        if chains is None:
            return data
        version = data.get("schema_version", 1)
        if version == chains.current:
            return data
        return chains.upcast(data, version, self.registry)

    def downcast(self, event: DomainEvent | dict[str, Any], to_version: int) -> dict[str, Any]:
        """The document of ``event`` (an event or its ``to_dict()``) in the older shape ``to_version``.

        The input is not modified. ``UpcastChainError`` when a downcaster on the way is missing or
        ``to_version`` is newer than the event.
        """
        document = event.to_dict() if isinstance(event, DomainEvent) else event
        if not isinstance(document, dict):
            raise TypeError(f"downcast needs an event or an event document, got {type(event).__name__}")
        name = document.get("event_type")
        chains = self._types.get(name) if isinstance(name, str) else None
        version = stored_schema_version(document)
        if chains is None:
            if to_version == version:
                return dict(document)
            raise UpcastChainError(
                f"no downcasters are registered for {name!r}; register one with "
                f"evolution.register_downcaster({name!r}, {version}, {to_version}, fn)",
                event_type=str(name),
            )
        return chains.downcast(dict(document), version, to_version)

    def decode(self, document: dict[str, Any]) -> DomainEvent:
        """Build the current event from a document of any known version (validating every field).

        For documents that do not come from a store: imports, integration messages from older
        producers. Raises ``UnknownEventTypeError``, ``EventVersionSkewError``, ``UpcastChainError``
        or ``InvalidMessageError`` (a ``TypeError``) naming the problem.
        """
        if not isinstance(document, dict):
            raise TypeError(f"decode needs an event document (a dict), got {type(document).__name__}")
        name = document.get("event_type")
        event_class = self.registry.resolve(name) if isinstance(name, str) and name else None
        if event_class is None:
            raise UnknownEventTypeError(
                f"no event class is known for the event type {name!r}; import the module that defines "
                "it or register it in the SchemaRegistry",
                event_type=name,
            )
        current = self.registry.current_version(event_class)
        assert current is not None
        stored = stored_schema_version(document)
        if stored > current:
            raise EventVersionSkewError(
                f"{name} v{stored} is newer than the v{current} this process knows; deploy the newer "
                f"{name} class or downcast the message at its producer",
                event_type=str(name),
                stored_version=stored,
                known_version=current,
            )
        return event_class.from_dict(self.upcast(dict(document)))

    # --- checking --------------------------------------------------------------------------------

    def current_version(self, event_type: str | type[DomainEvent]) -> int | None:
        """The current version of ``event_type`` (None when no class is known for it)."""
        return self.registry.current_version(event_type)

    def event_types(self) -> list[str]:
        """The event types that have upcasters or downcasters, sorted."""
        return sorted(self._types)

    def problems(self) -> list[str]:
        """Every gap in the chains: each version that cannot reach the current one, and so on."""
        found: list[str] = []
        for name in sorted(self._types):
            found.extend(self._types[name].problems(self.registry.current_version(name)))
        return found

    def verify(self) -> None:
        """Raise ``UpcastChainError`` listing every problem of ``problems()`` (nothing when there is none)."""
        found = self.problems()
        if found:
            raise UpcastChainError("the schema evolution has gaps:\n  " + "\n  ".join(found), event_type=None)
