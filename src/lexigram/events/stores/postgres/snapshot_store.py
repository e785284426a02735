"""``PostgresSnapshotStore``: aggregate snapshots in PostgreSQL."""

from __future__ import annotations

from typing import Any

from lexigram.contracts.events.records import Snapshot
from lexigram.events.config import PostgresEventStoreConfig
from lexigram.events.exceptions import EventStoreError
from lexigram.events.stores.postgres.driver import status_count
from lexigram.events.stores.postgres.link import StoreLink, pool_for
from lexigram.events.stores.postgres.migrator import Migrator
from lexigram.events.stores.postgres.reporting_store import ReportingLinkedStore
from lexigram.events.stores.postgres.schema import SNAPSHOT_MIGRATIONS, SnapshotTables
from lexigram.events.stores.serialization import dumps_json, loads_json
from lexigram.events.stores.snapshot_base import AbstractSnapshotStore
from lexigram.events.stores.snapshot_state import decode_state, encode_state

__all__ = ["PostgresSnapshotStore"]

_COLUMNS = "aggregate_id, aggregate_type, version, state::text, metadata::text, taken_at"


class PostgresSnapshotStore(ReportingLinkedStore, AbstractSnapshotStore):
    """A snapshot store in PostgreSQL, in the table ``config.snapshots_table``.

    Example::

        snapshots = PostgresSnapshotStore(config=PostgresEventStoreConfig(dsn="postgresql://app@db/events"))
        await snapshots.save_snapshot(order.create_snapshot())
        latest = await snapshots.get_latest(order.id)

    ``provider`` and ``connect()`` work as for ``PostgresEventStore``; pass the same ``PostgresPool``
    to both stores to share one pool. The store keeps the ``max_snapshots_per_aggregate`` highest
    versions of each aggregate (two saves racing for one aggregate may briefly leave one more).

    States and metadata are stored as JSON that keeps ``UUID``, ``Decimal``, date and time values,
    tuples, sets, enums and dataclasses (see ``snapshot_state``), so a restored aggregate equals the
    saved one; other value types are refused with ``EventPersistenceError``.
    """

    failure_type = EventStoreError

    def __init__(
        self,
        config: PostgresEventStoreConfig | None = None,
        provider: Any = None,
        *,
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
        self.config = config if config is not None else PostgresEventStoreConfig()
        self.max_snapshots_per_aggregate = max_snapshots_per_aggregate
        self.tables = SnapshotTables.named(self.config.snapshots_table)
        pool = pool_for(self.config, provider)
        self._link = StoreLink(
            "PostgresSnapshotStore",
            self.config,
            pool,
            Migrator(pool.driver, SNAPSHOT_MIGRATIONS, self.tables.names, self.tables.migrations),
        )
        table = self.tables.snapshots
        self._save = f"""
            WITH lowest_kept AS (
                SELECT v FROM (
                    SELECT version AS v FROM {table} WHERE aggregate_id = $1 AND version <> $2
                    UNION ALL SELECT $2::bigint
                ) AS versions
                ORDER BY v DESC OFFSET $7::bigint - 1 LIMIT 1
            ), saved AS (
                INSERT INTO {table} (aggregate_id, version, aggregate_type, state, metadata, taken_at)
                SELECT $1, $2::bigint, $3, $4::json, $5::json, $6
                 WHERE $2::bigint >= COALESCE((SELECT v FROM lowest_kept), $2::bigint)
                ON CONFLICT (aggregate_id, version) DO UPDATE
                   SET aggregate_type = EXCLUDED.aggregate_type, state = EXCLUDED.state,
                       metadata = EXCLUDED.metadata, taken_at = EXCLUDED.taken_at
            )
            DELETE FROM {table} WHERE aggregate_id = $1 AND version < (SELECT v FROM lowest_kept)"""
        self._latest_sql = f"""
            SELECT {_COLUMNS} FROM {table} WHERE aggregate_id = $1 ORDER BY version DESC LIMIT 1"""
        self._by_version_sql = f"SELECT {_COLUMNS} FROM {table} WHERE aggregate_id = $1 AND version = $2"
        self._delete_old_sql = f"""
            DELETE FROM {table} WHERE aggregate_id = $1 AND version NOT IN (
                SELECT version FROM {table} WHERE aggregate_id = $1 ORDER BY version DESC LIMIT $2)"""

    async def _write_snapshot(self, key: str, snapshot: Snapshot) -> None:
        state = dumps_json(encode_state(snapshot.state)).decode()
        metadata = dumps_json(encode_state(snapshot.metadata, "metadata")).decode()
        async with self._link.connection(f"save a snapshot of '{key}'", writing=True) as connection:
            await connection.execute(
                self._save,
                key,
                snapshot.version,
                snapshot.aggregate_type,
                state,
                metadata,
                snapshot.timestamp,
                self.max_snapshots_per_aggregate,
            )

    async def _latest(self, key: str) -> Snapshot | None:
        async with self._link.connection(f"load the snapshot of '{key}'", writing=False) as connection:
            row = await connection.fetchrow(self._latest_sql, key)
        return None if row is None else _snapshot(row)

    async def _by_version(self, key: str, version: int) -> Snapshot | None:
        async with self._link.connection(f"load a snapshot of '{key}'", writing=False) as connection:
            row = await connection.fetchrow(self._by_version_sql, key, version)
        return None if row is None else _snapshot(row)

    async def _delete_old(self, key: str, keep_count: int) -> int:
        async with self._link.connection(f"delete old snapshots of '{key}'", writing=True) as connection:
            status = await connection.execute(self._delete_old_sql, key, keep_count)
        return status_count(status)


def _snapshot(row: Any) -> Snapshot:
    return Snapshot(
        aggregate_id=row[0],
        aggregate_type=row[1],
        version=int(row[2]),
        state=decode_state(loads_json(row[3])),
        timestamp=row[5],
        metadata=decode_state(loads_json(row[4])),
    )
