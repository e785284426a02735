"""The SQL of the PostgreSQL event store, rendered once per store for its table names.

Global positions and the never-skip guarantee
----------------------------------------------
An event's position is ``(transaction id << 20) + ordinal``: the top-level transaction id of the
append (``pg_current_xact_id()``) followed by a 20-bit index of the event within that transaction.
Positions are >= 1, unique and strictly increasing in transaction-id order, with gaps.

Readers of the global log only read positions below ``pg_snapshot_xmin(pg_current_snapshot()) << 20``:
the events of transactions older than the oldest transaction still running. Every such transaction
has ended, so what a reader sees is final, and any transaction still running or started later has
a transaction id at or above that horizon. What a reader can see is therefore always a prefix of
the final order: a catch-up reader that resumes after its last position never skips an event. A
writer stalled between insert and commit holds the horizon back (readers wait for it) instead of
being skipped. The horizon is an index bound (an InitPlan), so a read is a plain range scan, and
the write path takes no table lock.

Per-stream order
----------------
Within a stream, position order must be version order, or a subscriber would see a stream's
events out of order. A transaction id is assigned when first asked for, so each append asks for it
only once nothing can make it wait any more:

- ``expected_version=None`` takes a transaction-scoped advisory lock on the stream first (every
  waiter will succeed, so it must wait *before* it has an id);
- ``expected_version=N`` takes no lock: the winner saw version N committed before its statement
  began, so its id is larger than that event's, and it asks for its id only once the version
  matched. Losers fail as fast as a plain ``UPDATE ... WHERE version = N``;
- ``expected_version=0``: only one creator can win, and none asks for an id if the stream exists.

The statements use ``MATERIALIZED`` CTEs so that the planner never evaluates
``pg_current_xact_id()`` early (it evaluates stable functions while estimating selectivity).
``E_streams.last_position`` records the position of the stream's newest event and every variant
refuses an append whose positions would not come after it: the backstop for a caller's
transaction that wrote to the database (and so got its id) before appending.

One round trip
--------------
An append is a single statement: compute the next position of this transaction, check and move
the version in ``E_streams`` (an upsert, an insert or an update, per ``expected_version``), insert
the events from arrays with ``unnest``. It returns the new version, or NULL when the check failed
and nothing was written, together with the version the statement saw: when that differs from the
expected one, the conflict is reported at once; otherwise (a race lost while waiting) a
follow-up query reads the current version. More than 1,048,575 events in one transaction would overflow the
20 bits into the next transaction's positions; the first such event has ordinal bits 0, which
``E_ordinal_check`` rejects, so the statement fails and writes nothing.
"""

from __future__ import annotations

import zlib
from dataclasses import dataclass

from lexigram.events.stores.postgres.schema import EventTables

__all__ = ["MAX_EVENTS_PER_TRANSACTION", "ORDINAL_BITS", "EventStatements"]

ORDINAL_BITS = 20
"""Bits of a position that index the events of one transaction."""
MAX_EVENTS_PER_TRANSACTION = (1 << ORDINAL_BITS) - 1
"""How many events one transaction may append (1,048,575)."""

_SPAN = 1 << ORDINAL_BITS

_HORIZON = f"(SELECT pg_snapshot_xmin(pg_current_snapshot())::text::bigint << {ORDINAL_BITS})"


def _append(tables: EventTables, lock_seed: int | None, stream_cte: str, outbox: bool) -> str:
    """An append: ``stream_cte`` checks and moves the version, then the events are inserted.

    ``head`` (this transaction's base and its last position so far) is where the transaction id
    is obtained. It is ``MATERIALIZED`` and used only through columns or scalar subqueries, so it
    runs when first needed, never at planning time, and (with ``lock_seed``) after the lock.
    With ``outbox``, the same statement records one outbox row per event.
    """
    outboxed = (
        f""", outboxed AS (
    INSERT INTO {tables.names["outbox"]} (position, stream_id)
    SELECT stream.last_position - $2::bigint + o.ordinal, $1::text
      FROM stream, generate_series(1, $2::bigint) AS o(ordinal)
)"""
        if outbox
        else ""
    )
    if lock_seed is None:
        tx = f"SELECT pg_current_xact_id()::text::bigint << {ORDINAL_BITS} AS base"
        locked = ""
    else:
        tx = f"SELECT pg_current_xact_id()::text::bigint << {ORDINAL_BITS} AS base FROM locked"
        locked = f"""locked AS MATERIALIZED (
    SELECT pg_advisory_xact_lock(hashtextextended($1::text, {lock_seed})) AS done
), """
    return f"""
WITH {locked}tx AS MATERIALIZED (
    {tx}
), head AS MATERIALIZED (
    SELECT COALESCE(
        (SELECT max(e.position) FROM {tables.events} e
          WHERE e.position > tx.base AND e.position < tx.base + {_SPAN}),
        tx.base) AS position
    FROM tx
), stream AS (
{stream_cte}
    RETURNING s.version, s.last_position
), inserted AS (
    INSERT INTO {tables.events} (position, stream_id, version, stream_hash, event_type, payload)
    SELECT stream.last_position - $2::bigint + e.ordinal, $1::text, stream.version - $2::bigint + e.ordinal,
           $3::bigint, e.event_type, e.payload::json
      FROM stream, unnest($5::text[], $6::text[]) WITH ORDINALITY AS e(event_type, payload, ordinal)
){outboxed}
SELECT (SELECT version FROM stream), (SELECT last_position FROM stream) - $2::bigint,
       (SELECT version FROM {tables.streams} WHERE stream_id = $1::text)
"""


def _append_any(tables: EventTables, lock_seed: int, outbox: bool) -> str:
    """Any version: the stream lock comes first, so every waiter succeeds with a later transaction id."""
    stream = f"""
    INSERT INTO {tables.streams} AS s (stream_id, version, last_position, stream_hash, aggregate_type)
    SELECT $1::text, $2::bigint, head.position + $2::bigint, $3::bigint, $4::text FROM head
    ON CONFLICT (stream_id) DO UPDATE
       SET version = s.version + EXCLUDED.version,
           last_position = EXCLUDED.last_position,
           aggregate_type = COALESCE(s.aggregate_type, EXCLUDED.aggregate_type),
           updated_at = now()
     WHERE s.last_position <= EXCLUDED.last_position - EXCLUDED.version"""
    return _append(tables, lock_seed, stream, outbox)


def _append_new(tables: EventTables, outbox: bool) -> str:
    """A new stream: no lock (only one creator can win); no transaction id when the stream exists."""
    stream = f"""
    INSERT INTO {tables.streams} AS s (stream_id, version, last_position, stream_hash, aggregate_type)
    SELECT $1::text, $2::bigint, (SELECT position FROM head) + $2::bigint, $3::bigint, $4::text
     WHERE NOT EXISTS (SELECT 1 FROM {tables.streams} WHERE stream_id = $1::text)
    ON CONFLICT (stream_id) DO NOTHING"""
    return _append(tables, None, stream, outbox)


def _append_exact(tables: EventTables, outbox: bool) -> str:
    """An exact version: no lock, and the transaction id is taken only once the version matches.

    A loser therefore fails as fast as a plain ``UPDATE ... WHERE version = $n`` and holds nothing
    while it commits. The winner saw the previous event committed before its statement began, so
    its transaction id is larger: per-stream order holds without a lock.
    """
    stream = f"""
    UPDATE {tables.streams} AS s
       SET version = s.version + $2::bigint,
           last_position = (SELECT position FROM head) + $2::bigint,
           aggregate_type = COALESCE(s.aggregate_type, $4::text),
           updated_at = now()
     WHERE s.stream_id = $1::text
       AND CASE WHEN s.version = $7::bigint THEN s.last_position <= (SELECT position FROM head) END"""
    return _append(tables, None, stream, outbox)


@dataclass(frozen=True, slots=True)
class EventStatements:
    """Every statement of the event store, for one set of table names."""

    lock_seed: int
    append_any: str
    append_new: str
    append_exact: str
    append_diagnosis: str
    lock_stream: str
    read_stream: str
    read_global: str
    read_partition: str
    read_global_envelopes: str
    read_partition_envelopes: str
    read_by_type: str
    find_by_type: str
    stream_version: str
    stream_info: str
    compact: str
    list_streams: str
    count_all: str
    count_stream: str
    delete_stream_row: str
    delete_stream_events: str

    @classmethod
    def render(cls, tables: EventTables, *, outbox: bool = False) -> EventStatements:
        """Render the statements for ``tables``; with ``outbox``, appends also write outbox rows."""
        events, streams = tables.events, tables.streams
        lock_seed = zlib.crc32(events.encode())
        columns = "position, version, payload::text"
        enveloped = f"{columns}, stream_id"
        return cls(
            lock_seed=lock_seed,
            append_any=_append_any(tables, lock_seed, outbox),
            append_new=_append_new(tables, outbox),
            append_exact=_append_exact(tables, outbox),
            append_diagnosis=f"""
                SELECT (SELECT version FROM {streams} WHERE stream_id = $1),
                       (SELECT last_position FROM {streams} WHERE stream_id = $1),
                       tx.base,
                       COALESCE((SELECT max(position) FROM {events}
                                  WHERE position > tx.base AND position < tx.base + {_SPAN}), tx.base)
                  FROM (SELECT pg_current_xact_id_if_assigned()::text::bigint << {ORDINAL_BITS}
                           AS base) AS tx""",
            lock_stream=f"SELECT pg_advisory_xact_lock(hashtextextended($1::text, {lock_seed}))",
            read_stream=f"""
                SELECT {columns} FROM {events}
                 WHERE stream_id = $1 AND version >= $2 AND version <= $3
                 ORDER BY version LIMIT $4""",
            read_global=f"""
                SELECT {columns} FROM {events}
                 WHERE position > $1 AND position < {_HORIZON}
                 ORDER BY position LIMIT $2""",
            read_partition=f"""
                SELECT {columns} FROM {events}
                 WHERE position > $1 AND position < {_HORIZON} AND stream_hash % $3 = $4
                 ORDER BY position LIMIT $2""",
            read_global_envelopes=f"""
                SELECT {enveloped} FROM {events}
                 WHERE position > $1 AND position < {_HORIZON}
                 ORDER BY position LIMIT $2""",
            read_partition_envelopes=f"""
                SELECT {enveloped} FROM {events}
                 WHERE position > $1 AND position < {_HORIZON} AND stream_hash % $3 = $4
                 ORDER BY position LIMIT $2""",
            read_by_type=f"""
                SELECT {columns} FROM {events}
                 WHERE position > $1 AND position < {_HORIZON} AND event_type = ANY($3::text[])
                 ORDER BY position LIMIT $2""",
            find_by_type=f"""
                SELECT {columns} FROM {events}
                 WHERE event_type = $1 ORDER BY position LIMIT $2 OFFSET $3""",
            stream_version=f"SELECT version FROM {streams} WHERE stream_id = $1",
            stream_info=f"""
                SELECT s.version, s.aggregate_type, c.events,
                       f.position, f.version, f.payload::text,
                       l.position, l.version, l.payload::text
                  FROM {streams} s
                 CROSS JOIN LATERAL (SELECT count(*) AS events FROM {events} WHERE stream_id = s.stream_id) c
                  LEFT JOIN LATERAL (SELECT position, version, payload FROM {events}
                                      WHERE stream_id = s.stream_id ORDER BY version LIMIT 1) f ON true
                  LEFT JOIN LATERAL (SELECT position, version, payload FROM {events}
                                      WHERE stream_id = s.stream_id ORDER BY version DESC LIMIT 1) l ON true
                 WHERE s.stream_id = $1""",
            compact=f"""
                WITH deleted AS (
                    DELETE FROM {events} WHERE stream_id = $1 AND version <= $2 RETURNING 1
                )
                SELECT count(*) FROM deleted""",
            list_streams=f"SELECT stream_id FROM {streams} ORDER BY created_at, stream_id",
            count_all=f"SELECT count(*) FROM {events}",
            count_stream=f"SELECT count(*) FROM {events} WHERE stream_id = $1",
            delete_stream_row=f"DELETE FROM {streams} WHERE stream_id = $1",
            delete_stream_events=f"DELETE FROM {events} WHERE stream_id = $1",
        )
