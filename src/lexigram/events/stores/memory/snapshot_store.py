"""``InMemorySnapshotStore``: snapshots in process memory."""

from __future__ import annotations

import copy
import pickle
from bisect import bisect_left
from typing import Any

from lexigram.contracts.events.records import Snapshot
from lexigram.events.stores.snapshot_base import AbstractSnapshotStore

__all__ = ["InMemorySnapshotStore"]


class _FrozenSnapshot:
    """A snapshot as the store keeps it: its state and metadata captured in a private copy.

    The copy is a pickle when the state can be pickled (thawing it is several times faster than
    ``copy.deepcopy``), and a deep copy otherwise, for example for instances of local classes.
    """

    __slots__ = ("_content", "aggregate_id", "aggregate_type", "timestamp", "version")

    def __init__(self, snapshot: Snapshot) -> None:
        self.aggregate_id = snapshot.aggregate_id
        self.aggregate_type = snapshot.aggregate_type
        self.version = snapshot.version
        self.timestamp = snapshot.timestamp
        content = (snapshot.state, snapshot.metadata)
        self._content: bytes | tuple[dict[str, Any], dict[str, Any]]
        try:
            self._content = pickle.dumps(content, protocol=pickle.HIGHEST_PROTOCOL)
        except (pickle.PicklingError, TypeError, AttributeError):
            self._content = copy.deepcopy(content)

    def thaw(self) -> Snapshot:
        """A new ``Snapshot`` with its own copy of the state, for one reader."""
        content = self._content
        if isinstance(content, bytes):
            state, metadata = pickle.loads(content)
        else:
            state, metadata = copy.deepcopy(content)
        return Snapshot(
            aggregate_id=self.aggregate_id,
            aggregate_type=self.aggregate_type,
            version=self.version,
            state=state,
            timestamp=self.timestamp,
            metadata=metadata,
        )


class InMemorySnapshotStore(AbstractSnapshotStore):
    """A snapshot store in process memory, for tests and development.

    Example::

        store = InMemorySnapshotStore()
        await store.save_snapshot(Snapshot(aggregate_id="order-123", aggregate_type="Order",
                                           version=100, state={"status": "completed"}))
        snapshot = await store.get_latest("order-123")

    It keeps the ``max_snapshots_per_aggregate`` highest versions of each aggregate. Like a
    persistent store, it holds its own copy of each snapshot's state and returns a fresh copy on
    every read, so changing a saved or loaded state never changes what is stored.
    """

    def __init__(self, max_snapshots_per_aggregate: int = 5) -> None:
        if (
            isinstance(max_snapshots_per_aggregate, bool)
            or not isinstance(max_snapshots_per_aggregate, int)
            or max_snapshots_per_aggregate < 1
        ):
            raise ValueError(
                f"max_snapshots_per_aggregate must be an integer >= 1, got {max_snapshots_per_aggregate!r}"
            )
        self.max_snapshots_per_aggregate = max_snapshots_per_aggregate
        self._snapshots: dict[str, list[_FrozenSnapshot]] = {}  # per key, ascending versions

    def clear(self) -> None:
        """Drop every snapshot."""
        self._snapshots.clear()

    async def _write_snapshot(self, key: str, snapshot: Snapshot) -> None:
        kept = self._snapshots.setdefault(key, [])
        versions = [s.version for s in kept]
        index = bisect_left(versions, snapshot.version)
        stored = _FrozenSnapshot(snapshot)
        if index < len(kept) and kept[index].version == snapshot.version:
            kept[index] = stored
        else:
            kept.insert(index, stored)
        if len(kept) > self.max_snapshots_per_aggregate:
            del kept[: len(kept) - self.max_snapshots_per_aggregate]

    async def _latest(self, key: str) -> Snapshot | None:
        kept = self._snapshots.get(key)
        return kept[-1].thaw() if kept else None

    async def _by_version(self, key: str, version: int) -> Snapshot | None:
        for snapshot in self._snapshots.get(key, ()):
            if snapshot.version == version:
                return snapshot.thaw()
        return None

    async def _delete_old(self, key: str, keep_count: int) -> int:
        kept = self._snapshots.get(key)
        if not kept or len(kept) <= keep_count:
            return 0
        deleted = len(kept) - keep_count
        del kept[:deleted]
        return deleted
