"""The raw SQLite baseline: plain ``sqlite3`` and ``orjson``, no framework.

The tables are created from the SQLite store's own migrations (``EVENT_MIGRATIONS`` and
``SNAPSHOT_MIGRATIONS`` rendered with this side's table names), so the columns, constraints and
indexes are exactly the store's; the connection uses the store's pragmas (WAL,
``synchronous=NORMAL``) and otherwise SQLite's defaults (automatic WAL checkpoints).

An append is what a careful hand-written application does: ``BEGIN IMMEDIATE``, read the stream's
version, compare, insert or update the stream row, insert the events (``executemany`` for a batch),
``COMMIT``. The event rows carry the same values as the store's (event id, type, ``occurred_at``,
CRC-32 stream hash) and the same JSON bytes: ``orjson.dumps`` of the event's ``to_dict()``, which
is prepared before timing as the plain dict an application would hold. Reads run the store's
queries and turn each row into a dict with ``orjson.loads``.
"""

from __future__ import annotations

import sqlite3
import zlib
from typing import Any

import orjson

from bench.common import RAW, typed_event
from bench.sides import Conflict, Planned
from lexigram.events.stores.sqlite.schema import EVENT_MIGRATIONS, SNAPSHOT_MIGRATIONS, event_schema

_NOW = "strftime('%Y-%m-%dT%H:%M:%fZ', 'now')"


def create_tables(connection: sqlite3.Connection, events: str, snapshots: str) -> None:
    """The store's event and snapshot tables, from its own migrations, under other names."""
    names = {**event_schema(events).names, "snapshots": snapshots}
    for migration in [*EVENT_MIGRATIONS, *SNAPSHOT_MIGRATIONS]:
        for statement in migration.render(**names):
            connection.execute(statement)


def stored_rows(connection: sqlite3.Connection, events: str) -> list[tuple[str, int, str]]:
    """(stream id, version, order_id) of every event row of a store-shaped table."""
    sql = f"SELECT stream_id, version, json_extract(data, '$.order_id') FROM \"{events}\""
    return [(row[0], int(row[1]), str(row[2])) for row in connection.execute(sql)]


class RawSqliteSide:
    """Plain ``sqlite3`` on a file of its own, with the store's schema and pragmas."""

    subject = RAW
    backend = "sqlite"

    def __init__(self, path: str, table: str = "raw_events") -> None:
        self.path = path
        self.table = table
        e, s = f'"{table}"', f'"{table}_streams"'
        self.snapshots = f"{table}_snapshots"
        self._version = f"SELECT version FROM {s} WHERE stream_id = ?"
        self._insert_stream = (
            f"INSERT INTO {s} (stream_id, version, aggregate_type, created_at, updated_at) "
            f"VALUES (?, ?, NULL, {_NOW}, {_NOW})"
        )
        self._update_stream = f"UPDATE {s} SET version = ?, updated_at = {_NOW} WHERE stream_id = ?"
        self._insert_event = (
            f"INSERT INTO {e} (stream_id, version, event_id, event_type, occurred_at, stream_hash, data) "
            "VALUES (?, ?, ?, ?, ?, ?, ?)"
        )
        self._read_stream = (
            f"SELECT position, version, data FROM {e} WHERE stream_id = ? AND version >= ? ORDER BY version"
        )
        self._read_global = (
            f"SELECT position, version, data FROM {e} WHERE position > ? ORDER BY position LIMIT ?"
        )
        self._save_snapshot = (
            f'INSERT INTO "{self.snapshots}" '
            "(aggregate_id, version, aggregate_type, taken_at, format, content) "
            f"VALUES (?, ?, 'Basket', {_NOW}, 'json', ?)"
        )
        self._latest_snapshot = (
            f'SELECT version, content FROM "{self.snapshots}" WHERE aggregate_id = ? '
            "ORDER BY version DESC LIMIT 1"
        )
        self.connection: sqlite3.Connection | None = None

    async def open(self) -> None:
        """Open the file with the store's pragmas and create the tables."""
        connection = sqlite3.connect(self.path, isolation_level=None, check_same_thread=False)
        connection.execute("PRAGMA journal_mode = WAL")
        connection.execute("PRAGMA synchronous = NORMAL")
        create_tables(connection, self.table, self.snapshots)
        self.connection = connection

    async def close(self) -> None:
        """Close the connection (the file goes with the run's temporary folder)."""
        if self.connection is not None:
            self.connection.close()
            self.connection = None

    def prepare(self, appends: list[Planned]) -> list[list[Any]]:
        """The events as the plain dicts an application holds (``to_dict()``)."""
        return [[event.to_dict() for event in events] for _stream, _version, events in appends]

    def _live(self) -> sqlite3.Connection:
        assert self.connection is not None
        return self.connection

    async def append(self, stream_id: str, items: list[Any], expected_version: int) -> None:
        """One ``BEGIN IMMEDIATE`` transaction: check the version, move it, insert the events."""
        connection = self._live()
        dumps = orjson.dumps
        hashed = zlib.crc32(stream_id.encode())
        connection.execute("BEGIN IMMEDIATE")
        try:
            row = connection.execute(self._version, (stream_id,)).fetchone()
            current = 0 if row is None else row[0]
            if current != expected_version:
                raise Conflict(stream_id)
            count = len(items)
            if row is None:
                connection.execute(self._insert_stream, (stream_id, current + count))
            else:
                connection.execute(self._update_stream, (current + count, stream_id))
            if count == 1:
                doc = items[0]
                connection.execute(
                    self._insert_event,
                    (
                        stream_id,
                        current + 1,
                        doc["event_id"],
                        doc["event_type"],
                        doc["occurred_at"],
                        hashed,
                        dumps(doc),
                    ),
                )
            else:
                connection.executemany(
                    self._insert_event,
                    [
                        (
                            stream_id,
                            version,
                            doc["event_id"],
                            doc["event_type"],
                            doc["occurred_at"],
                            hashed,
                            dumps(doc),
                        )
                        for version, doc in enumerate(items, current + 1)
                    ],
                )
            connection.execute("COMMIT")
        except BaseException:
            connection.execute("ROLLBACK")
            raise

    async def version(self, stream_id: str) -> int:
        """The stream row's version."""
        row = self._live().execute(self._version, (stream_id,)).fetchone()
        return 0 if row is None else int(row[0])

    async def read_stream(self, stream_id: str, after_version: int = 0, typed: bool = False) -> list[Any]:
        """The stream's rows, each payload decoded to a dict (``typed``: to an ``ItemOrdered``)."""
        loads = orjson.loads
        rows = self._live().execute(self._read_stream, (stream_id, after_version + 1)).fetchall()
        if typed:
            return [typed_event(position, data) for position, _version, data in rows]
        return [loads(data) for _position, _version, data in rows]

    async def read_all(self, batch_size: int, typed: bool = False) -> int:
        """Keyset-paginate the global log from position 0, decoding every payload."""
        connection, loads, sql = self._live(), orjson.loads, self._read_global
        after, count = 0, 0
        while True:
            rows = connection.execute(sql, (after, batch_size)).fetchall()
            if typed:
                decoded = [typed_event(position, data) for position, _version, data in rows]
            else:
                decoded = [loads(data) for _position, _version, data in rows]
            count += len(decoded)
            if len(rows) < batch_size:
                return count
            after = rows[-1][0]

    async def stored(self) -> list[tuple[str, int, str]]:
        """Every event row, for the lost-event check."""
        return stored_rows(self._live(), self.table)

    async def save_snapshot(self, stream_id: str, version: int, state: dict[str, Any]) -> None:
        """One snapshot row with the state as JSON."""
        self._live().execute(self._save_snapshot, (stream_id, version, orjson.dumps(state)))

    async def load_snapshot(self, stream_id: str) -> tuple[int, dict[str, Any]] | None:
        """The newest snapshot row, decoded."""
        row = self._live().execute(self._latest_snapshot, (stream_id,)).fetchone()
        return None if row is None else (int(row[0]), orjson.loads(row[1]))
