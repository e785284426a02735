"""Records that stores hand back: aggregate snapshots and stream information."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any
from uuid import UUID

from lexigram.contracts.messages.ids import utc_now

__all__ = ["Snapshot", "StreamInfo"]


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
