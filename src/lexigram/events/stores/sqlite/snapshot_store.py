"""``SqliteSnapshotStore``: aggregate snapshots in a SQLite database (``snapshots_table``).

One row per aggregate and version. The state and metadata are stored as JSON that keeps Python
types (the encoding the PostgreSQL snapshot store uses, ``encode_state``): UUIDs, ``Decimal``,
datetimes, tuples, sets, enums and dataclasses (value objects) come back as they were saved, so
an aggregate restored from a snapshot equals the one replayed from its events. Reading never runs
code named by the data (unlike pickle) and the rows stay readable with SQLite's JSON functions.
The ``format`` column leaves room for other encodings later.
"""

from __future__ import annotations

import sqlite3
from datetime import datetime
from typing import Any

from lexigram.contracts.events.records import Snapshot
from lexigram.events.config import SqliteConfig
from lexigram.events.exceptions import EventLoadError
from lexigram.events.stores.serialization import dumps_json, loads_json
from lexigram.events.stores.snapshot_base import AbstractSnapshotStore
from lexigram.events.stores.snapshot_state import decode_state, encode_state
from lexigram.events.stores.sqlite.database import SqliteDatabase, reject_provider
from lexigram.events.stores.sqlite.lifecycle import SqliteStoreLifecycle
from lexigram.events.stores.sqlite.schema import snapshot_schema

__all__ = ["SqliteSnapshotStore"]

_FORMAT = "json"


class SqliteSnapshotStore(SqliteStoreLifecycle, AbstractSnapshotStore):
    """A snapshot store in a SQLite database file, keeping the newest versions of each aggregate.

    Example::

        store = SqliteSnapshotStore(config=SqliteConfig(database="events.db"))
        await store.save_snapshot(order.create_snapshot())
        snapshot = await store.get_latest(order.id)

    Like ``InMemorySnapshotStore`` it keeps the ``max_snapshots_per_aggregate`` highest versions
    of each aggregate (5 by default; ``EventsModule`` passes ``snapshots.max_snapshots_per_aggregate``)
    and returns a fresh copy of the state on every read. It may share a file with
    ``SqliteEventStore``; it has its own connection and schema. ``provider`` must be None.
    """

    def __init__(
        self,
        config: SqliteConfig | None = None,
        provider: object | None = None,
        *,
        max_snapshots_per_aggregate: int = 5,
    ) -> None:
        reject_provider(provider, "SqliteSnapshotStore")
        if config is not None and not isinstance(config, SqliteConfig):
            raise TypeError(f"config must be a SqliteConfig, got {type(config).__name__}")
        if (
            isinstance(max_snapshots_per_aggregate, bool)
            or not isinstance(max_snapshots_per_aggregate, int)
            or max_snapshots_per_aggregate < 1
        ):
            raise ValueError(
                f"max_snapshots_per_aggregate must be an integer >= 1, got {max_snapshots_per_aggregate!r}"
            )
        self.config = config if config is not None else SqliteConfig()
        self.max_snapshots_per_aggregate = max_snapshots_per_aggregate
        schema = snapshot_schema(self.config.snapshots_table)
        self._db = SqliteDatabase(self.config, schema, "snapshot store")
        table = f'"{schema.names["snapshots"]}"'
        columns = "aggregate_id, version, aggregate_type, taken_at, format, content"
        self._upsert = (
            f"INSERT INTO {table} ({columns}) VALUES (?, ?, ?, ?, ?, ?) "
            "ON CONFLICT (aggregate_id, version) DO UPDATE SET aggregate_type = excluded.aggregate_type, "
            "taken_at = excluded.taken_at, format = excluded.format, content = excluded.content"
        )
        self._latest_sql = (
            f"SELECT {columns} FROM {table} WHERE aggregate_id = ? ORDER BY version DESC LIMIT 1"
        )
        self._by_version_sql = f"SELECT {columns} FROM {table} WHERE aggregate_id = ? AND version = ?"
        self._trim = (
            f"DELETE FROM {table} WHERE aggregate_id = :id AND version < (SELECT version FROM {table} "
            "WHERE aggregate_id = :id ORDER BY version DESC LIMIT 1 OFFSET :keep - 1)"
        )
        self._delete_all = f"DELETE FROM {table} WHERE aggregate_id = ?"

    # --- lifecycle and schema ------------------------------------------------------------------

    # database, connect, migrate, schema_version, latest_schema_version, close: SqliteStoreLifecycle

    # --- primitives ----------------------------------------------------------------------------

    async def _write_snapshot(self, key: str, snapshot: Snapshot) -> None:
        content = dumps_json(
            {"state": encode_state(snapshot.state), "metadata": encode_state(snapshot.metadata, "metadata")}
        ).decode()  # stored as TEXT, so SQLite's JSON functions can read it
        row = (
            key,
            snapshot.version,
            snapshot.aggregate_type,
            snapshot.timestamp.isoformat(),
            _FORMAT,
            content,
        )
        trim = {"id": key, "keep": self.max_snapshots_per_aggregate}

        def save(connection: sqlite3.Connection) -> None:
            connection.execute(self._upsert, row)
            connection.execute(self._trim, trim)

        await self._db.write(save, pages=3 + len(content) // self._db.page_size)

    async def _latest(self, key: str) -> Snapshot | None:
        row = await self._db.read(lambda c: c.execute(self._latest_sql, (key,)).fetchone())
        return None if row is None else _thaw(row)

    async def _by_version(self, key: str, version: int) -> Snapshot | None:
        row = await self._db.read(lambda c: c.execute(self._by_version_sql, (key, version)).fetchone())
        return None if row is None else _thaw(row)

    async def _delete_old(self, key: str, keep_count: int) -> int:
        parameters: tuple[str] | dict[str, Any]
        if keep_count == 0:
            sql, parameters = self._delete_all, (key,)
        else:
            sql, parameters = self._trim, {"id": key, "keep": keep_count}
        deleted: int = await self._db.write(lambda c: c.execute(sql, parameters).rowcount, pages=4)
        return deleted


def _thaw(row: tuple[Any, ...]) -> Snapshot:
    aggregate_id, version, aggregate_type, taken_at, encoding, content = row
    if encoding != _FORMAT:
        raise EventLoadError(
            f"the snapshot of '{aggregate_id}' at version {version} is stored as {encoding!r}, which this "
            "version of lexigram-events cannot read; upgrade lexigram-events",
            details={"aggregate_id": aggregate_id, "version": version},
        )
    try:
        document = loads_json(content)
        state, metadata = decode_state(document["state"]), decode_state(document["metadata"])
    except (ValueError, KeyError, TypeError) as exc:
        raise EventLoadError(
            f"the snapshot of '{aggregate_id}' at version {version} cannot be read ({exc!r}). Delete "
            "the aggregate's snapshots (delete_old_snapshots(id, keep_count=0)): the next load replays "
            "its events",
            details={"aggregate_id": aggregate_id, "version": version},
        ) from exc
    return Snapshot(
        aggregate_id=aggregate_id,
        aggregate_type=aggregate_type,
        version=version,
        state=state,
        timestamp=datetime.fromisoformat(taken_at),
        metadata=metadata,
    )
