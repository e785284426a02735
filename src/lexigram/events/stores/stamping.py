"""The copy of an event that a store hands back: stamped with its global position and version.

Stores also stamp the schema version: what they write and hand back always carries the current
schema version of the event's class (``current_schema_version``), since that is the shape its
fields have, whatever ``schema_version`` the caller passed.
"""

from __future__ import annotations

from typing import Any, TypeVar

from lexigram.contracts.messages import DomainEvent
from lexigram.events.schema.versions import current_schema_version

__all__ = ["declares_version", "schema_stamped", "stored_copy"]

TEvent = TypeVar("TEvent", bound=DomainEvent)

_LAYOUT: dict[type, tuple[bool, int]] = {}
"""Per event class: whether it declares ``version``, and its current schema version."""


def _layout(event_class: type) -> tuple[bool, int]:
    try:
        return _LAYOUT[event_class]
    except KeyError:
        declared = "version" in getattr(event_class, "__message_fields__", ())
        layout = (declared, current_schema_version(event_class))
        _LAYOUT[event_class] = layout
        return layout


def declares_version(event_class: type) -> bool:
    """True when the event class declares a ``version`` field (as ``Event`` does)."""
    return _layout(event_class)[0]


def schema_stamped(event: TEvent) -> TEvent:
    """``event`` itself when it carries its class's current schema version, else a copy that does."""
    current = _layout(type(event))[1]
    if event.schema_version == current:
        return event
    return event._replace(schema_version=current)


def stored_copy(event: TEvent, position: int, version: int) -> TEvent:
    """Return a copy of ``event`` with ``sequence_number=position`` and, when declared, ``version``.

    Equal payload, ``event_id`` and ``occurred_at``; the original is not modified. Stores build
    this copy once, when the event is written, and return it on every read. The copy carries the
    class's current schema version.
    """
    declared, current = _layout(type(event))
    if event.schema_version == current:
        if declared:
            return event._replace(sequence_number=position, version=version)
        return event._replace(sequence_number=position)
    changes: dict[str, Any] = {"sequence_number": position, "schema_version": current}
    if declared:
        changes["version"] = version
    return event._replace(**changes)
