"""What the MongoDB event store keeps where: its collections and the document of one event.

- events: one document per event. ``_id`` is the global position; ``stream_id``, ``version``,
  ``event_type``, ``event_id``, ``occurred_at`` (ISO 8601), ``aggregate_type`` and ``hash`` (the
  stream's partition hash) are there to be queried; ``data`` is the serialized event (binary).
  Indexes: unique ``(stream_id, version)`` and ``(event_type, _id)``.
- streams: one document per stream, ``_id`` the stream id, with its ``version`` (which compaction
  keeps), ``aggregate_type`` and ``hash``.
- counters: the document ``{"_id": "<events collection>.position", "value": <last position>}``.
"""

from __future__ import annotations

from typing import Any, NamedTuple

from lexigram.contracts.documents import Document
from lexigram.contracts.messages import DomainEvent
from lexigram.events.stores.mongodb.config import MongoDBConfig

__all__ = ["Collections", "event_document"]


class Collections(NamedTuple):
    """The names of the collections an event store uses."""

    events: str
    streams: str
    counters: str

    @classmethod
    def of(cls, config: Any) -> Collections:
        """The names in a ``MongoDBConfig`` or a ``MongoDBEventStoreConfig`` (None: the defaults)."""
        if config is None:
            config = MongoDBConfig()
        try:
            return cls(config.events_collection, config.streams_collection, config.counters_collection)
        except AttributeError as exc:
            raise TypeError(
                "MongoDBEventStore's config must be a MongoDBConfig or a MongoDBEventStoreConfig, got "
                f"{type(config).__name__}"
            ) from exc


def event_document(
    stream_id: str, hashed: int, event: DomainEvent, data: bytes, position: int, version: int
) -> Document:
    """The document that stores one event at its position and stream version."""
    return {
        "_id": position,
        "stream_id": stream_id,
        "version": version,
        "event_type": event.event_type,
        "event_id": str(event.event_id),
        "occurred_at": event.occurred_at.isoformat(),
        "aggregate_type": event.aggregate_type,
        "hash": hashed,
        "data": data,
    }
