"""``SnapshotManager``: snapshot-accelerated loading and saving for code that keeps state as dicts.

``EventSourcingRepository`` does the same for ``AggregateRoot`` objects; the manager serves code
that holds an aggregate's state itself::

    manager = SnapshotManager(event_store, snapshot_store, policy=EventCountPolicy(100))
    state, events, snapshot_version = await manager.load_with_snapshot("order-123", "Order")
    ...  # fold ``events`` into ``state``
    await manager.save_and_maybe_snapshot("order-123", "Order", new_events, state,
                                          expected_version=snapshot_version + len(events))
"""

from __future__ import annotations

import inspect
import logging
from collections.abc import Callable
from typing import Any

from lexigram.contracts.events.records import Snapshot
from lexigram.contracts.events.stores import EventStoreProtocol, SnapshotStoreProtocol
from lexigram.events.config import SnapshotConfig
from lexigram.events.snapshots.policies import SnapshotContext, SnapshotPolicy, policy_from_config

__all__ = ["SnapshotManager"]

logger = logging.getLogger(__name__)


class SnapshotManager:
    """Loads state from the latest snapshot plus later events, and snapshots after saves.

    ``policy`` decides when ``save_and_maybe_snapshot`` takes a snapshot; without one, the policy
    comes from ``config`` (``SnapshotConfig()``'s defaults: every 100 events). After each snapshot,
    only the newest ``config.max_snapshots_per_aggregate`` snapshots of that aggregate are kept.
    """

    def __init__(
        self,
        event_store: EventStoreProtocol,
        snapshot_store: SnapshotStoreProtocol,
        policy: SnapshotPolicy | None = None,
        config: SnapshotConfig | None = None,
    ) -> None:
        self.event_store = event_store
        self.snapshot_store = snapshot_store
        self.config = config if config is not None else SnapshotConfig()
        self.policy = policy if policy is not None else policy_from_config(self.config)

    async def load_with_snapshot(
        self, aggregate_id: Any, aggregate_type: str
    ) -> tuple[dict[str, Any] | None, list[Any], int]:
        """Return ``(state, events_after_snapshot, snapshot_version)``.

        ``state`` is None and the version 0 when there is no usable snapshot; a snapshot recorded
        for another aggregate type is ignored (an empty ``aggregate_type`` matches any).
        """
        key = str(aggregate_id)
        snapshot = await self.snapshot_store.get_latest(key)
        if snapshot is not None and not _same_type(snapshot.aggregate_type, aggregate_type):
            logger.warning(
                "ignoring the snapshot of %s at version %d: it was taken for %s, not %s",
                key,
                snapshot.version,
                snapshot.aggregate_type,
                aggregate_type,
            )
            snapshot = None
        if snapshot is None:
            return None, await self.event_store.read(key), 0
        events = await self.event_store.read(key, from_version=snapshot.version + 1)
        return snapshot.state, events, snapshot.version

    async def save_and_maybe_snapshot(
        self,
        aggregate_id: Any,
        aggregate_type: str,
        events: list[Any],
        current_state: dict[str, Any],
        expected_version: int | None,
    ) -> bool:
        """Append ``events`` with ``expected_version``, then snapshot ``current_state`` if the policy says so.

        Returns True when a snapshot was taken. A ``ConcurrencyError`` from the append propagates.
        A failing snapshot is logged and returns False: it never hides the successful append.
        """
        key = str(aggregate_id)
        version = await self.event_store.append(key, events, expected_version=expected_version)
        if not events:
            return False
        latest = await self.snapshot_store.get_latest(key)
        context = SnapshotContext(
            aggregate_id=key,
            aggregate_type=aggregate_type,
            version=version,
            events_saved=len(events),
            last_snapshot_version=0 if latest is None else latest.version,
            last_snapshot_at=None if latest is None else latest.timestamp,
        )
        if not self.policy.should_snapshot(context):
            return False
        try:
            await self.create_snapshot(key, aggregate_type, version, current_state)
        except Exception:  # the one boundary where a snapshot failure is contained
            logger.exception(
                "the events of %s %s were saved (version %d), but taking the snapshot failed",
                aggregate_type,
                key,
                version,
            )
            return False
        return True

    async def create_snapshot(
        self, aggregate_id: Any, aggregate_type: str, version: int, state: dict[str, Any]
    ) -> Snapshot:
        """Store a snapshot of ``state`` at ``version`` and trim old snapshots; return it."""
        snapshot = Snapshot(
            aggregate_id=str(aggregate_id), aggregate_type=aggregate_type, version=version, state=state
        )
        await self.snapshot_store.save_snapshot(snapshot)
        await self.snapshot_store.delete_old_snapshots(snapshot.key, self.config.max_snapshots_per_aggregate)
        return snapshot

    async def force_snapshot(
        self, aggregate_id: Any, aggregate_type: str, state_extractor: Callable[[], Any]
    ) -> Snapshot:
        """Snapshot ``state_extractor()`` at the stream's current version, whatever the policy says.

        ``state_extractor`` may be a plain or an async function returning the state dict.
        """
        version = await self.event_store.get_stream_version(str(aggregate_id))
        state = state_extractor()
        if inspect.isawaitable(state):
            state = await state
        return await self.create_snapshot(aggregate_id, aggregate_type, version, state)

    async def cleanup_old_snapshots(self, aggregate_id: Any, keep_count: int | None = None) -> int:
        """Delete all but the newest ``keep_count`` snapshots (default: the configured limit); count them."""
        keep = self.config.max_snapshots_per_aggregate if keep_count is None else keep_count
        return await self.snapshot_store.delete_old_snapshots(str(aggregate_id), keep)


def _same_type(recorded: str, requested: str) -> bool:
    return not recorded or not requested or recorded == requested
