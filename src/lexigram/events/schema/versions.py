"""The current schema version of an event class: the default of its ``schema_version`` field.

An event class declares a new shape by raising that default::

    class OrderPlaced(DomainEvent):
        schema_version: int = 3
        order_id: str

Every new ``OrderPlaced`` then carries ``schema_version=3``, and that is what stores write. Stored
events of versions 1 and 2 are upcast to version 3 on read (see ``SchemaEvolution``).
"""

from __future__ import annotations

from typing import Any

from lexigram.contracts.messages import DomainEvent

__all__ = ["current_schema_version", "stored_schema_version"]

_CURRENT: dict[type, int] = {}


def current_schema_version(event_class: type[Any]) -> int:
    """The version new events of ``event_class`` are written with (1 unless the class raised it)."""
    try:
        return _CURRENT[event_class]
    except KeyError:
        pass
    if not (isinstance(event_class, type) and issubclass(event_class, DomainEvent)):
        raise TypeError(f"current_schema_version needs a DomainEvent subclass, got {event_class!r}")
    spec = event_class.__message_fields__.get("schema_version")
    default = getattr(spec, "default", 1)
    version = default if type(default) is int and default >= 1 else 1
    _CURRENT[event_class] = version
    return version


def stored_schema_version(document: dict[str, Any]) -> int:
    """The schema version a stored event document declares (1 when it declares none)."""
    version = document.get("schema_version", 1)
    return version if type(version) is int else 1
