"""Protocols of event stores, snapshot stores and event serializers."""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Any, Protocol

from lexigram.contracts.events.records import Snapshot, StreamInfo

__all__ = [
    "EventFilterProtocol",
    "EventReaderProtocol",
    "EventSerializerProtocol",
    "EventStoreProtocol",
    "EventWriterProtocol",
    "SnapshotStoreProtocol",
]


class EventWriterProtocol(Protocol):
    """Appends events to streams with optimistic concurrency."""

    async def append(self, stream_id: str, events: list[Any], expected_version: int | None = None) -> int:
        """Append events; return the new stream version or raise ``ConcurrencyError``."""
        ...


class EventReaderProtocol(Protocol):
    """Reads streams and the global log."""

    async def read(
        self,
        stream_id: str,
        from_version: int = 0,
        to_version: int | None = None,
        limit: int | None = None,
    ) -> list[Any]:
        """Read a stream's events between two versions (inclusive, 1-based)."""
        ...

    async def get_stream_version(self, stream_id: str) -> int:
        """Return the current version of a stream, 0 when it does not exist."""
        ...

    def stream_all(
        self,
        from_position: int = 0,
        batch_size: int = 100,
        partition: int | None = None,
        total_partitions: int | None = None,
    ) -> AsyncIterator[Any]:
        """Iterate every event after ``from_position`` in global order."""
        ...


class EventStoreProtocol(EventReaderProtocol, EventWriterProtocol, Protocol):
    """A durable, append-only log of events grouped in streams."""

    async def stream_exists(self, stream_id: str) -> bool:
        """Return True once the stream has had at least one event."""
        ...

    async def get_stream_info(self, stream_id: str) -> StreamInfo | None:
        """Return information about a stream, or None when it does not exist."""
        ...

    def stream_by_type(self, event_types: list[str], from_position: int = 0) -> AsyncIterator[Any]:
        """Iterate the events of the given types after ``from_position`` in global order."""
        ...

    async def compact(self, stream_id: str, up_to_version: int) -> int:
        """Delete a stream's events up to a version; return how many were deleted."""
        ...

    async def get_stream_ids(self) -> list[str]:
        """Return the id of every stream."""
        ...

    async def close(self) -> None:
        """Release the store's resources."""
        ...


class SnapshotStoreProtocol(Protocol):
    """Stores aggregate snapshots."""

    async def save_snapshot(self, snapshot: Snapshot) -> None:
        """Save a snapshot (the same version again replaces it)."""
        ...

    async def get_latest(self, aggregate_id: str) -> Snapshot | None:
        """Return the snapshot with the highest version, or None."""
        ...

    async def get_by_version(self, aggregate_id: Any, version: int) -> Snapshot | None:
        """Return the snapshot at exactly this version, or None."""
        ...

    async def delete_old_snapshots(self, aggregate_id: Any, keep_count: int = 3) -> int:
        """Keep the newest ``keep_count`` snapshots; return how many were deleted."""
        ...

    async def close(self) -> None:
        """Release the store's resources."""
        ...


class EventSerializerProtocol(Protocol):
    """Turns events into bytes for storage or transport, and back."""

    def serialize(self, event: Any) -> bytes:
        """Serialize an event."""
        ...

    def deserialize(self, data: bytes) -> Any:
        """Rebuild an event from its serialized form."""
        ...


class EventFilterProtocol(Protocol):
    """Decides whether an event should be dispatched."""

    def matches(self, event: Any) -> bool:
        """Return True when the event passes the filter."""
        ...
