"""Records that stores hand back: snapshots, stream information, log envelopes, checkpoints."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime
from types import MappingProxyType
from typing import Any, NamedTuple
from uuid import UUID

from lexigram.contracts.messages.ids import utc_now

__all__ = ["Checkpoint", "EventEnvelope", "ParkedEvent", "Snapshot", "StreamInfo"]


@dataclass(slots=True)
class Snapshot:
    """The state of an aggregate at a version, saved so loading need not replay every event."""

    aggregate_id: str | UUID
    aggregate_type: str
    version: int
    state: dict[str, Any]
    timestamp: datetime = field(default_factory=utc_now)
    metadata: dict[str, Any] = field(default_factory=dict)

    @property
    def key(self) -> str:
        """The aggregate id as the string stores key snapshots by."""
        return str(self.aggregate_id)


@dataclass(frozen=True, slots=True)
class StreamInfo:
    """What a store knows about one stream."""

    stream_id: str
    version: int
    event_count: int
    created_at: datetime | None
    updated_at: datetime | None
    aggregate_type: str | None = None


class EventEnvelope(NamedTuple):
    """An event with where it is stored: stream, stream version and global position.

    A named tuple: immutable, and cheap enough to build one per event on the read path.
    """

    event: Any
    stream_id: str
    version: int
    position: int | None = None
    metadata: Mapping[str, Any] = MappingProxyType({})


@dataclass(slots=True)
class Checkpoint:
    """How far a projection or subscription has read the global log.

    ``position`` is the last global position whose effect is recorded: reading resumes after it.
    ``state`` and ``error`` keep the projection's last reported state and failure, so they
    survive a restart (None when never recorded).
    """

    projection_name: str
    position: int = 0
    updated_at: datetime = field(default_factory=utc_now)
    state: str | None = None
    error: str | None = None


@dataclass(slots=True)
class ParkedEvent:
    """An event a projection could not apply and set aside, with why.

    While an event of a stream is parked, the projection holds back the later events of that
    stream (they are parked too, with ``blocked_by`` set to the first parked position), so the
    stream's order is kept; other streams keep flowing.
    """

    projection_name: str
    stream_id: str
    position: int
    version: int
    event_type: str
    error: str
    attempts: int = 1
    parked_at: datetime = field(default_factory=utc_now)
    blocked_by: int | None = None
