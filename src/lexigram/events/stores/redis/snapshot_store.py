"""``RedisSnapshotStore``: aggregate snapshots in Redis, through ``StateStoreProtocol``."""

from __future__ import annotations

from typing import Self

from lexigram.contracts.events.records import Snapshot
from lexigram.contracts.state import StateStoreProtocol
from lexigram.events.stores.redis import scripts
from lexigram.events.stores.redis.keys import RedisKeys
from lexigram.events.stores.snapshot_base import AbstractSnapshotStore
from lexigram.events.stores.snapshot_codec import decode_snapshot, encode_snapshot

__all__ = ["RedisSnapshotStore"]


class RedisSnapshotStore(AbstractSnapshotStore):
    """Snapshots in a sorted set per aggregate, scored by version, each one a JSON document.

    Example::

        snapshots = RedisSnapshotStore(RedisStateStore("redis://127.0.0.1:6379/0"))
        await snapshots.save(order.create_snapshot())
        latest = await snapshots.get_latest(order.id)

    It may share a namespace (and a state store) with a ``RedisEventStore``: their keys differ. It
    keeps the ``max_snapshots_per_aggregate`` highest versions; each save and trim is one atomic
    script. The state is stored as JSON (see ``lexigram.events.stores.snapshot_codec``). Like
    ``RedisEventStore``, it closes only a state store it created (``from_url``).
    """

    def __init__(
        self,
        store: StateStoreProtocol,
        namespace: str = "lexigram:events",
        max_snapshots_per_aggregate: int = 5,
    ) -> None:
        if (
            isinstance(max_snapshots_per_aggregate, bool)
            or not isinstance(max_snapshots_per_aggregate, int)
            or max_snapshots_per_aggregate < 1
        ):
            raise ValueError(
                f"max_snapshots_per_aggregate must be an integer >= 1, got {max_snapshots_per_aggregate!r}"
            )
        if not callable(getattr(store, "run_script", None)):
            raise TypeError(f"RedisSnapshotStore needs a StateStoreProtocol (with run_script), got {store!r}")
        self.state_store = store
        """The key-value server the snapshots live in."""
        self.namespace = namespace
        """The prefix of every key of this store."""
        self.max_snapshots_per_aggregate = max_snapshots_per_aggregate
        self._keys = RedisKeys(namespace)
        self._owns_store = False

    @classmethod
    def from_url(
        cls, url: str, namespace: str = "lexigram:events", max_snapshots_per_aggregate: int = 5
    ) -> Self:
        """Build a store with its own ``RedisStateStore``, which ``close()`` closes."""
        from lexigram.events.stores.redis.state_store import RedisStateStore

        store = cls(RedisStateStore(url), namespace, max_snapshots_per_aggregate)
        store._owns_store = True
        return store

    async def close(self) -> None:
        """Close the state store when this store created it (``from_url``); otherwise do nothing."""
        if self._owns_store:
            await self.state_store.close()

    async def _write_snapshot(self, key: str, snapshot: Snapshot) -> None:
        await self.state_store.run_script(
            scripts.SNAPSHOT_SAVE,
            [self._keys.snapshots(key)],
            [snapshot.version, encode_snapshot(snapshot), self.max_snapshots_per_aggregate],
        )

    async def _latest(self, key: str) -> Snapshot | None:
        return await self._get(key, "")

    async def _by_version(self, key: str, version: int) -> Snapshot | None:
        return await self._get(key, version)

    async def _delete_old(self, key: str, keep_count: int) -> int:
        deleted = await self.state_store.run_script(
            scripts.SNAPSHOT_DELETE_OLD, [self._keys.snapshots(key)], [keep_count]
        )
        return int(deleted)

    async def _get(self, key: str, version: int | str) -> Snapshot | None:
        record = await self.state_store.run_script(
            scripts.SNAPSHOT_GET, [self._keys.snapshots(key)], [version]
        )
        return None if record is None else decode_snapshot(record)
