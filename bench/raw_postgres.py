"""The raw PostgreSQL baseline: plain ``asyncpg`` and ``orjson``, no framework.

The tables are created from the PostgreSQL store's own migrations (``EVENT_MIGRATIONS`` and
``SNAPSHOT_MIGRATIONS`` rendered with this side's names), so columns, constraints (the ordinal
check included) and indexes are exactly the store's. The rows are the same too: a position built
the way the store builds it (``pg_current_xact_id() << 20`` plus the event's ordinal: the schema
has no sequence), the stream row upserted with its version and last position, the payload sent as
text and stored as ``json``.

An append is the tightest correct thing asyncpg can do: one statement (so one round trip and its
own transaction) that checks and moves the version in the streams table (an ``INSERT ... ON
CONFLICT DO NOTHING`` for a new stream, an ``UPDATE ... WHERE version = $expected`` otherwise) and
inserts the events from arrays with ``unnest``. It does not do what the store adds for appends
inside a caller's transaction (the lookup of the transaction's last position, the ordering guard).
Each task uses a connection of its own, opened up front: no pool. Reads run the store's queries
without its visibility horizon (global reads) and decode each payload with ``orjson.loads``.
"""

from __future__ import annotations

import asyncio
from typing import Any

import orjson

from bench.common import RAW, typed_event
from bench.sides import Conflict, Planned
from lexigram.events.stores.partitioning import stream_hash
from lexigram.events.stores.postgres.schema import (
    EVENT_MIGRATIONS,
    SNAPSHOT_MIGRATIONS,
    EventTables,
    SnapshotTables,
)

_POSITION = "(pg_current_xact_id()::text::bigint << 20)"


async def drop_tables(dsn: str, prefix: str) -> None:
    """Drop every table whose name starts with ``prefix`` (what one side or one run created)."""
    import asyncpg

    connection = await asyncpg.connect(dsn)
    try:
        names = await connection.fetch(
            "SELECT tablename FROM pg_tables "
            "WHERE schemaname = current_schema() AND starts_with(tablename, $1)",
            prefix,
        )
        for (name,) in names:
            await connection.execute(f'DROP TABLE IF EXISTS "{name}" CASCADE')
    finally:
        await connection.close()


async def stored_rows(connection: Any, events_table: str) -> list[tuple[str, int, str]]:
    """(stream id, version, order_id) of every event row of a store-shaped table."""
    rows = await connection.fetch(f"SELECT stream_id, version, payload->>'order_id' FROM \"{events_table}\"")
    return [(row[0], int(row[1]), str(row[2])) for row in rows]


class RawPostgresSide:
    """Plain ``asyncpg`` with the store's schema; one connection per task."""

    subject = RAW
    backend = "postgres"

    def __init__(self, dsn: str, table: str, connections: int = 1) -> None:
        self.dsn = dsn
        self.table = table
        self.tables = EventTables.named(table)
        self.snapshot_tables = SnapshotTables.named(f"{table}_snapshots")
        self._count = connections + 1
        self._free: list[Any] = []
        self._assigned: dict[asyncio.Task[Any] | None, Any] = {}
        e, s, snap = self.tables.events, self.tables.streams, self.snapshot_tables.snapshots
        insert_events = f"""
            INSERT INTO {e} (position, stream_id, version, stream_hash, event_type, payload)
            SELECT stream.last_position - $2::bigint + x.ordinal, $1::text,
                   stream.version - $2::bigint + x.ordinal, $3::bigint, x.event_type, x.payload::json
              FROM stream,
                   unnest($4::text[], $5::text[]) WITH ORDINALITY AS x(event_type, payload, ordinal)"""
        self._append_new = f"""
            WITH stream AS (
                INSERT INTO {s} (stream_id, version, last_position, stream_hash)
                VALUES ($1::text, $2::bigint, {_POSITION} + $2::bigint, $3::bigint)
                ON CONFLICT (stream_id) DO NOTHING
                RETURNING version, last_position
            ), inserted AS ({insert_events})
            SELECT version FROM stream"""
        self._append_exact = f"""
            WITH stream AS (
                UPDATE {s} SET version = version + $2::bigint,
                       last_position = {_POSITION} + $2::bigint, updated_at = now()
                 WHERE stream_id = $1::text AND version = $6::bigint
                RETURNING version, last_position
            ), inserted AS ({insert_events})
            SELECT version FROM stream"""
        self._version = f"SELECT version FROM {s} WHERE stream_id = $1"
        self._read_stream = (
            f"SELECT position, version, payload::text FROM {e} WHERE stream_id = $1 AND version >= $2 "
            "ORDER BY version"
        )
        self._read_global = (
            f"SELECT position, version, payload::text FROM {e} WHERE position > $1 ORDER BY position LIMIT $2"
        )
        self._save_snapshot = (
            f"INSERT INTO {snap} (aggregate_id, version, aggregate_type, state, metadata, taken_at) "
            "VALUES ($1, $2, 'Basket', $3::json, '{}'::json, now())"
        )
        self._latest_snapshot = (
            f"SELECT version, state::text FROM {snap} WHERE aggregate_id = $1 ORDER BY version DESC LIMIT 1"
        )

    async def open(self) -> None:
        """Open the connections and create the tables from the store's migrations."""
        import asyncpg

        self._free = [await asyncpg.connect(self.dsn) for _ in range(self._count)]
        connection = self._free[0]
        for migration in EVENT_MIGRATIONS:
            for statement in migration.render(**self.tables.names):
                await connection.execute(statement)
        for migration in SNAPSHOT_MIGRATIONS:
            for statement in migration.render(**self.snapshot_tables.names):
                await connection.execute(statement)

    async def close(self) -> None:
        """Drop the tables and close the connections."""
        connections = [*self._free, *self._assigned.values()]
        self._free, self._assigned = [], {}
        for connection in connections:
            await connection.close()
        await drop_tables(self.dsn, self.table)

    def _connection(self) -> Any:
        task = asyncio.current_task()
        connection = self._assigned.get(task)
        if connection is None:
            connection = self._assigned[task] = self._free.pop()
        return connection

    def prepare(self, appends: list[Planned]) -> list[list[Any]]:
        """The events as the plain dicts an application holds (``to_dict()``)."""
        return [[event.to_dict() for event in events] for _stream, _version, events in appends]

    async def append(self, stream_id: str, items: list[Any], expected_version: int) -> None:
        """One statement: check and move the stream's version, insert the events."""
        dumps = orjson.dumps
        types = [doc["event_type"] for doc in items]
        payloads = [dumps(doc).decode() for doc in items]
        arguments = (stream_id, len(items), stream_hash(stream_id), types, payloads)
        connection = self._connection()
        if expected_version == 0:
            version = await connection.fetchval(self._append_new, *arguments)
        else:
            version = await connection.fetchval(self._append_exact, *arguments, expected_version)
        if version is None:
            raise Conflict(stream_id)

    async def version(self, stream_id: str) -> int:
        """The stream row's version."""
        version = await self._connection().fetchval(self._version, stream_id)
        return 0 if version is None else int(version)

    async def read_stream(self, stream_id: str, after_version: int = 0, typed: bool = False) -> list[Any]:
        """The stream's rows, each payload decoded to a dict (``typed``: to an ``ItemOrdered``)."""
        loads = orjson.loads
        rows = await self._connection().fetch(self._read_stream, stream_id, after_version + 1)
        if typed:
            return [typed_event(row[0], row[2]) for row in rows]
        return [loads(row[2]) for row in rows]

    async def read_all(self, batch_size: int, typed: bool = False) -> int:
        """Keyset-paginate the global log from position 0, decoding every payload."""
        connection, loads, sql = self._connection(), orjson.loads, self._read_global
        after, count = 0, 0
        while True:
            rows = await connection.fetch(sql, after, batch_size)
            if typed:
                decoded = [typed_event(row[0], row[2]) for row in rows]
            else:
                decoded = [loads(row[2]) for row in rows]
            count += len(decoded)
            if len(rows) < batch_size:
                return count
            after = rows[-1][0]

    async def stored(self) -> list[tuple[str, int, str]]:
        """Every event row, for the lost-event check."""
        return await stored_rows(self._connection(), self.table)

    async def save_snapshot(self, stream_id: str, version: int, state: dict[str, Any]) -> None:
        """One snapshot row with the state as JSON."""
        await self._connection().execute(
            self._save_snapshot, stream_id, version, orjson.dumps(state).decode()
        )

    async def load_snapshot(self, stream_id: str) -> tuple[int, dict[str, Any]] | None:
        """The newest snapshot row, decoded."""
        row = await self._connection().fetchrow(self._latest_snapshot, stream_id)
        return None if row is None else (int(row[0]), orjson.loads(row[1]))
