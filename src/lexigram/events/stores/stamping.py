"""The copy of an event that a store hands back: stamped with its global position and version."""

from __future__ import annotations

from typing import TypeVar

from lexigram.contracts.messages import DomainEvent

__all__ = ["declares_version", "stored_copy"]

TEvent = TypeVar("TEvent", bound=DomainEvent)

_DECLARES_VERSION: dict[type, bool] = {}


def declares_version(event_class: type) -> bool:
    """True when the event class declares a ``version`` field (as ``Event`` does)."""
    try:
        return _DECLARES_VERSION[event_class]
    except KeyError:
        declared = "version" in getattr(event_class, "__message_fields__", ())
        _DECLARES_VERSION[event_class] = declared
        return declared


def stored_copy(event: TEvent, position: int, version: int) -> TEvent:
    """Return a copy of ``event`` with ``sequence_number=position`` and, when declared, ``version``.

    Equal payload, ``event_id`` and ``occurred_at``; the original is not modified. Stores build
    this copy once, when the event is written, and return it on every read.
    """
    if declares_version(type(event)):
        return event._replace(sequence_number=position, version=version)
    return event._replace(sequence_number=position)
