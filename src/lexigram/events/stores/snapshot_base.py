"""``AbstractSnapshotStore``: snapshot-store behaviour that does not depend on the backend.

Snapshots let an aggregate load from its latest saved state plus the events after it, instead of
replaying its whole history. The public methods check their arguments and key every snapshot by
``str(aggregate_id)``, so ``"order-123"`` and a UUID both work, then call four primitives a backend
implements: ``_write_snapshot(key, snapshot)`` (the same version again replaces it; keep only the
newest versions up to the store's limit), ``_latest(key)``, ``_by_version(key, version)`` and
``_delete_old(key, keep_count)``. ``lexigram.events.testing.SnapshotStoreContract`` checks them.
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from typing import TYPE_CHECKING, Any

from lexigram.contracts.events.records import Snapshot

if TYPE_CHECKING:
    from lexigram.contracts.events.stores import SnapshotStoreProtocol

__all__ = ["AbstractSnapshotStore", "snapshot_key"]


def snapshot_key(aggregate_id: Any) -> str:
    """The key snapshots are stored under: ``str(aggregate_id)``, which must not be empty."""
    if aggregate_id is None:
        raise ValueError("aggregate_id must not be None")
    key = str(aggregate_id)
    if not key:
        raise ValueError("aggregate_id must not be empty")
    return key


def _check_snapshot(snapshot: Any) -> Snapshot:
    if not isinstance(snapshot, Snapshot):
        raise TypeError(f"expected a Snapshot, got {type(snapshot).__name__}")
    version = snapshot.version
    if isinstance(version, bool) or not isinstance(version, int) or version < 0:
        raise ValueError(f"a snapshot version must be an integer >= 0, got {version!r}")
    if not isinstance(snapshot.state, dict):
        raise TypeError(f"a snapshot state must be a dict, got {type(snapshot.state).__name__}")
    return snapshot


class AbstractSnapshotStore(ABC):
    """Base class of snapshot stores.

    Example::

        await store.save(Snapshot(aggregate_id=order.id, aggregate_type="Order",
                                  version=order.version, state=order.to_dict()))
        snapshot = await store.get_latest("order-123")

    ``save(snapshot)`` and ``save(aggregate_id, state, version)`` both work; ``load(id)`` returns
    ``(state, version)`` or None.
    """

    # --- the two save/load forms ---------------------------------------------------------------

    async def save(
        self,
        snapshot_or_aggregate_id: Snapshot | Any,
        state: dict[str, Any] | None = None,
        version: int | None = None,
        *,
        aggregate_type: str = "",
    ) -> None:
        """Save a snapshot: ``save(snapshot)`` or ``save(aggregate_id, state, version)``."""
        if isinstance(snapshot_or_aggregate_id, Snapshot):
            if state is not None or version is not None:
                raise TypeError("save(snapshot) takes no state or version: they are in the Snapshot")
            await self.save_snapshot(snapshot_or_aggregate_id)
            return
        if state is None or version is None:
            raise TypeError("save() takes a Snapshot, or an aggregate id with its state and version")
        await self.save_snapshot(
            Snapshot(
                aggregate_id=snapshot_or_aggregate_id,
                aggregate_type=aggregate_type,
                version=version,
                state=state,
            )
        )

    async def load(self, aggregate_id: Any) -> tuple[dict[str, Any], int] | None:
        """Return ``(state, version)`` of the latest snapshot, or None when there is none."""
        snapshot = await self.get_latest(aggregate_id)
        return None if snapshot is None else (snapshot.state, snapshot.version)

    # --- the snapshot API ----------------------------------------------------------------------

    async def save_snapshot(self, snapshot: Snapshot) -> None:
        """Save a snapshot; saving the same version again replaces it."""
        checked = _check_snapshot(snapshot)
        await self._write_snapshot(snapshot_key(checked.aggregate_id), checked)

    async def get_latest(self, aggregate_id: Any) -> Snapshot | None:
        """Return the snapshot with the highest version, or None."""
        return await self._latest(snapshot_key(aggregate_id))

    async def get_by_version(self, aggregate_id: Any, version: int) -> Snapshot | None:
        """Return the snapshot at exactly ``version``, or None."""
        if isinstance(version, bool) or not isinstance(version, int):
            raise ValueError(f"version must be an integer, got {version!r}")
        return await self._by_version(snapshot_key(aggregate_id), version)

    async def delete_old_snapshots(self, aggregate_id: Any, keep_count: int = 3) -> int:
        """Keep the ``keep_count`` highest versions; return how many snapshots were deleted."""
        if isinstance(keep_count, bool) or not isinstance(keep_count, int) or keep_count < 0:
            raise ValueError(f"keep_count must be an integer >= 0, got {keep_count!r}")
        return await self._delete_old(snapshot_key(aggregate_id), keep_count)

    async def close(self) -> None:
        """Release the store's resources (nothing to release by default)."""
        return

    # --- backend primitives --------------------------------------------------------------------

    @abstractmethod
    async def _write_snapshot(self, key: str, snapshot: Snapshot) -> None:
        """Store the snapshot (replacing one of the same version) and trim to the store's limit."""

    @abstractmethod
    async def _latest(self, key: str) -> Snapshot | None:
        """Return the highest-version snapshot of the key, or None."""

    @abstractmethod
    async def _by_version(self, key: str, version: int) -> Snapshot | None:
        """Return the key's snapshot at exactly ``version``, or None."""

    @abstractmethod
    async def _delete_old(self, key: str, keep_count: int) -> int:
        """Delete all but the ``keep_count`` highest versions; return how many were deleted."""


if TYPE_CHECKING:

    def _satisfies_the_protocol(store: AbstractSnapshotStore) -> SnapshotStoreProtocol:
        return store
