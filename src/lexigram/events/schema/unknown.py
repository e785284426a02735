"""``UnknownEvent``: what a reader that opted in gets for a stored event it cannot read.

By default a store raises when it reads an event it cannot turn into its class: an unknown type
(``UnknownEventTypeError``), a schema version newer than the class (``EventVersionSkewError``), or
data that no longer decodes. A reader that would rather keep going opts in for a block of code::

    with reading_version_skew():
        events = await store.read_all()

and gets an ``UnknownEvent`` in place of each such event, carrying the stored document, why it
could not be read, and where it sits. ``VersionAwareSubscription`` does this for you and reports
every ``UnknownEvent`` instead of delivering it. The opt-in costs nothing on the read path: it is
only consulted once an event has already failed to decode.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import field
from enum import StrEnum
from typing import Any

from lexigram.contracts.messages import DomainEvent

__all__ = ["SkewReason", "UnknownEvent", "reading_version_skew", "tolerating_version_skew"]

_TOLERATE: ContextVar[bool] = ContextVar("lexigram_reading_version_skew", default=False)


class SkewReason(StrEnum):
    """Why an event was not handed to a reader or a consumer."""

    UNKNOWN_TYPE = "unknown_type"
    """No event class in this process has the stored type."""
    NEWER_VERSION = "newer_version"
    """The stored schema version is newer than the event class in this process."""
    UNREADABLE = "unreadable"
    """The stored data does not decode (bad JSON, a failing upcaster, a missing field)."""
    CONSUMER_BEHIND = "consumer_behind"
    """The event decodes, but the consumer declared (``@known_events``) an older version of it."""


class UnknownEvent(DomainEvent):
    """A stored event this process could not read, kept instead of raising (see the module docs).

    ``original_type`` is the stored ``event_type``; ``stored_version`` its stored schema version;
    ``known_version`` the version this process knows (None for an unknown type); ``reason`` a
    ``SkewReason`` value; ``error`` the decoding error, if any; ``data`` the stored document as it
    was read (``{"raw": text}`` when it is not even JSON). ``sequence_number`` is the event's global
    position and ``stream_version`` its version in its stream.
    """

    original_type: str
    reason: str
    stored_version: int | None = None
    known_version: int | None = None
    error: str | None = None
    stream_version: int | None = None
    data: dict[str, Any] = field(default_factory=dict)


def tolerating_version_skew() -> bool:
    """True inside ``reading_version_skew()``: stores then return ``UnknownEvent`` records."""
    return _TOLERATE.get()


@contextmanager
def reading_version_skew() -> Iterator[None]:
    """Within this block (in this task), reads return ``UnknownEvent`` for events they cannot read.

    Use it around store reads whose caller handles ``UnknownEvent`` itself; blocks nest.
    """
    token = _TOLERATE.set(True)
    try:
        yield
    finally:
        _TOLERATE.reset(token)
