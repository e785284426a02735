"""``SchemaRegistry``: the event types a service writes, with their current JSON Schemas."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from typing import Any

from lexigram.contracts.messages import DomainEvent, event_types
from lexigram.events.exceptions import SchemaError
from lexigram.events.schema.event_schema import EventSchema
from lexigram.events.schema.versions import current_schema_version

__all__ = ["SchemaRegistry", "event_type_name"]


def event_type_name(event_type: str | type[Any]) -> str:
    """The stored type name of an event class (its class name), or a name given as a string."""
    if isinstance(event_type, str) and event_type:
        return event_type
    if isinstance(event_type, type) and issubclass(event_type, DomainEvent):
        return event_type.__name__
    raise TypeError(f"expected an event type name or a DomainEvent subclass, got {event_type!r}")


class SchemaRegistry:
    """The event classes a service knows, by stored type name, with their schemas.

    ``register(OrderPlaced)`` records a class under its class name (or ``name=``, for a type
    stored under another name). Lookups of a name that was never registered fall back to the
    process-wide registry of event classes (every ``DomainEvent`` subclass is in it), so a
    registry only needs the classes whose stored name differs, or the ones you want listed in
    ``schemas()``.
    """

    def __init__(self, *event_classes: type[DomainEvent]) -> None:
        self._classes: dict[str, type[DomainEvent]] = {}
        self._schemas: dict[str, EventSchema] = {}
        self._lock = threading.Lock()
        for event_class in event_classes:
            self.register(event_class)

    def register(self, event_class: type[DomainEvent], *, name: str | None = None) -> EventSchema:
        """Record ``event_class`` under ``name`` (default its class name); return its schema.

        Registering a name again replaces the class, as redefining an event class does.
        """
        schema = EventSchema.of(event_class, name)
        with self._lock:
            self._classes[schema.event_type] = event_class
            self._schemas[schema.event_type] = schema
        return schema

    def resolve(self, event_type: str | type[Any]) -> type[DomainEvent] | None:
        """The class of a stored type name: registered here, else in the process; None if unknown."""
        name = event_type_name(event_type)
        found = self._classes.get(name)
        if found is None:
            found = event_types.resolve(name)
        return found

    def current_version(self, event_type: str | type[Any]) -> int | None:
        """The schema version this process writes for ``event_type``; None for an unknown type."""
        event_class = self.resolve(event_type)
        return None if event_class is None else current_schema_version(event_class)

    def get(self, event_type: str | type[Any]) -> EventSchema:
        """The schema of ``event_type``; ``SchemaError`` when no class is known for it."""
        name = event_type_name(event_type)
        schema = self._schemas.get(name)
        if schema is not None:
            return schema
        event_class = self.resolve(name)
        if event_class is None:
            raise SchemaError(
                f"no event class is known for the event type {name!r}; import the module that defines "
                f"it or register it with registry.register(EventClass, name={name!r})",
                details={"event_type": name},
            )
        schema = EventSchema.of(event_class, name)
        with self._lock:
            self._schemas.setdefault(name, schema)
        return schema

    def schemas(self) -> list[EventSchema]:
        """The schemas of the registered classes, by type name."""
        return [self._schemas[name] for name in sorted(self._classes)]

    def json_schemas(self) -> dict[str, dict[str, Any]]:
        """The JSON Schema of every registered type, by type name (to publish or to diff in CI)."""
        return {schema.event_type: schema.json_schema for schema in self.schemas()}

    def __contains__(self, event_type: object) -> bool:
        return isinstance(event_type, str) and event_type in self._classes

    def __iter__(self) -> Iterator[str]:
        return iter(sorted(self._classes))

    def __len__(self) -> int:
        return len(self._classes)
