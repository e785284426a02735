"""Schema evolution: event schemas, upcasters and downcasters, and version-skew reporting.

* ``SchemaRegistry`` / ``EventSchema``: each event type's current JSON Schema, generated from its
  class by pydantic. An event's current version is its class's ``schema_version`` default.
* ``SchemaEvolution``: upcaster chains every store applies on read, before the class is built,
  and downcasters that produce older shapes for old readers and integration messages.
* Version skew: a store raises ``UnknownEventTypeError`` / ``EventVersionSkewError`` for events it
  cannot read, or returns ``UnknownEvent`` records inside ``reading_version_skew()``.
  ``VersionAwareSubscription`` follows the log that way and reports each held-back event
  (``VersionSkew``, ``SkewLog``); ``@known_events`` declares what a consumer understands, and
  ``known_event_sets.gaps()`` lists the consumers that are behind.
"""

from lexigram.events.schema.chains import Converter
from lexigram.events.schema.event_schema import EventSchema
from lexigram.events.schema.evolution import SchemaEvolution
from lexigram.events.schema.known_events import (
    KnownEventGap,
    KnownEventSet,
    KnownEventSetRegistry,
    known_event_sets,
    known_events,
    known_events_of,
)
from lexigram.events.schema.registry import SchemaRegistry
from lexigram.events.schema.skew import SkewLog, VersionSkew
from lexigram.events.schema.subscription import SkewCallback, VersionAwareSubscription
from lexigram.events.schema.unknown import (
    SkewReason,
    UnknownEvent,
    reading_version_skew,
    tolerating_version_skew,
)
from lexigram.events.schema.versions import current_schema_version

__all__ = [
    "Converter",
    "EventSchema",
    "KnownEventGap",
    "KnownEventSet",
    "KnownEventSetRegistry",
    "SchemaEvolution",
    "SchemaRegistry",
    "SkewCallback",
    "SkewLog",
    "SkewReason",
    "UnknownEvent",
    "VersionAwareSubscription",
    "VersionSkew",
    "current_schema_version",
    "known_event_sets",
    "known_events",
    "known_events_of",
    "reading_version_skew",
    "tolerating_version_skew",
]
