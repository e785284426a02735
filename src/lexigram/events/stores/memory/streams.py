"""The in-memory store's record of one stream."""

from __future__ import annotations

from typing import Any

from lexigram.events.stores.partitioning import stream_hash

__all__ = ["MemoryStream"]


class MemoryStream:
    """One stream of the in-memory store: its stored events, version and partition hash.

    ``events[i]`` has version ``first_version + i``; compaction and eviction remove events from the
    front and move ``first_version`` up, while ``version`` never goes down.
    """

    __slots__ = (
        "aggregate_type",
        "events",
        "eviction_reported",
        "first_version",
        "hash",
        "stream_id",
        "version",
    )

    def __init__(self, stream_id: str) -> None:
        self.stream_id = stream_id
        self.hash = stream_hash(stream_id)
        self.events: list[Any] = []
        self.first_version = 1
        self.version = 0
        self.aggregate_type: str | None = None
        self.eviction_reported = False

    def count_up_to(self, version: int) -> int:
        """How many stored events have a version <= ``version``."""
        return max(0, min(version - self.first_version + 1, len(self.events)))

    def slice_indexes(self, first: int, last: int | None, limit: int | None) -> tuple[int, int]:
        """The ``events`` indexes holding versions ``first``..``last``, at most ``limit`` of them."""
        start = max(first - self.first_version, 0)
        stop = len(self.events) if last is None else min(last - self.first_version + 1, len(self.events))
        if limit is not None:
            stop = min(stop, start + limit)
        return start, max(stop, start)
