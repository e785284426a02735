"""The SQL of the PostgreSQL outbox, rendered once per store for its table names.

A claim is one statement: lock the oldest due row of up to ``limit`` streams with
``FOR UPDATE SKIP LOCKED`` (so concurrent relays take different streams instead of waiting),
claim those streams' rows in position order, and return them joined with their events. Times come
from the server's clock (``now()``).
"""

from __future__ import annotations

from dataclasses import dataclass

from lexigram.events.stores.postgres.schema import EventTables

__all__ = ["OutboxStatements"]


@dataclass(frozen=True, slots=True)
class OutboxStatements:
    """Every statement of the outbox over one events table and its outbox table."""

    claim: str
    complete: str
    pending_count: str
    parked: str
    retry_all: str
    retry_some: str
    skip_some: str

    @classmethod
    def render(cls, tables: EventTables) -> OutboxStatements:
        """Render the statements for ``tables``."""
        o, events = tables.names["outbox"], tables.events
        return cls(
            claim=f"""
                WITH heads AS (
                    SELECT h.stream_id FROM {o} h
                     WHERE h.parked_at IS NULL AND h.available_at <= now() AND h.claimed_until <= now()
                       AND NOT EXISTS (SELECT 1 FROM {o} b
                                        WHERE b.stream_id = h.stream_id AND b.position < h.position)
                     ORDER BY h.position LIMIT $2
                     FOR UPDATE SKIP LOCKED
                ), chosen AS (
                    SELECT r.position FROM {o} r
                     WHERE r.stream_id IN (SELECT stream_id FROM heads)
                     ORDER BY r.position LIMIT $2
                     FOR UPDATE
                ), claimed AS (
                    UPDATE {o} c
                       SET claimed_by = $1, claimed_until = now() + make_interval(secs => $3),
                           attempts = c.attempts + 1
                      FROM chosen WHERE c.position = chosen.position
                    RETURNING c.position, c.stream_id, c.attempts
                )
                SELECT claimed.position, e.version, e.payload::text, claimed.stream_id, claimed.attempts
                  FROM claimed LEFT JOIN {events} e ON e.position = claimed.position
                 ORDER BY claimed.position""",
            complete=f"""
                WITH done AS (
                    DELETE FROM {o} WHERE position = ANY($2::bigint[]) AND claimed_by = $1 RETURNING 1
                ), failed AS (
                    UPDATE {o} f
                       SET last_error = x.error, available_at = now() + make_interval(secs => x.delay),
                           parked_at = CASE WHEN x.park THEN now() END,
                           claimed_by = NULL, claimed_until = '-infinity'
                      FROM unnest($3::bigint[], $4::text[], $5::float8[], $6::boolean[])
                           AS x(position, error, delay, park)
                     WHERE f.position = x.position AND f.claimed_by = $1
                    RETURNING 1
                ), released AS (
                    UPDATE {o}
                       SET claimed_by = NULL, claimed_until = '-infinity',
                           attempts = greatest(attempts - 1, 0)
                     WHERE position = ANY($7::bigint[]) AND claimed_by = $1
                    RETURNING 1
                )
                SELECT (SELECT count(*) FROM done) + (SELECT count(*) FROM failed)
                       + (SELECT count(*) FROM released)""",
            pending_count=f"SELECT count(*) FROM {o}",
            parked=f"""
                SELECT o.position, o.stream_id, coalesce(e.event_type, ''), o.attempts, o.last_error,
                       o.parked_at
                  FROM {o} o LEFT JOIN {events} e ON e.position = o.position
                 WHERE o.parked_at IS NOT NULL ORDER BY o.position LIMIT $1""",
            retry_all=f"""
                WITH retried AS (
                    UPDATE {o} SET parked_at = NULL, available_at = '-infinity', attempts = 0
                     WHERE parked_at IS NOT NULL RETURNING 1
                )
                SELECT count(*) FROM retried""",
            retry_some=f"""
                WITH retried AS (
                    UPDATE {o} SET parked_at = NULL, available_at = '-infinity', attempts = 0
                     WHERE parked_at IS NOT NULL AND position = ANY($1::bigint[]) RETURNING 1
                )
                SELECT count(*) FROM retried""",
            skip_some=f"""
                WITH skipped AS (
                    DELETE FROM {o} WHERE parked_at IS NOT NULL AND position = ANY($1::bigint[]) RETURNING 1
                )
                SELECT count(*) FROM skipped""",
        )
