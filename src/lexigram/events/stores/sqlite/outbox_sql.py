"""The SQL of the SQLite outbox, rendered once per store for its table names.

Times are Unix seconds (``REAL``) from the writer's clock: every process using a SQLite file runs
on the same machine.
"""

from __future__ import annotations

__all__ = ["OutboxSql"]


class OutboxSql:
    """Every statement of the outbox over one ``events`` and one ``outbox`` table."""

    def __init__(self, events: str, outbox: str) -> None:
        e, o = f'"{events}"', f'"{outbox}"'
        self.record_one = f"INSERT INTO {o} (position, stream_id) VALUES (?, ?)"
        self.record_range = (
            f"INSERT INTO {o} (position, stream_id) SELECT position, stream_id FROM {e} "
            "WHERE position BETWEEN ? AND ?"
        )
        self.heads = (
            f"SELECT o.stream_id FROM {o} o "
            "WHERE o.parked_at IS NULL AND o.available_at <= :now AND o.claimed_until <= :now "
            f"AND NOT EXISTS (SELECT 1 FROM {o} b "
            "WHERE b.stream_id = o.stream_id AND b.position < o.position) "
            "ORDER BY o.position LIMIT :limit"
        )
        self.claim_rows = (
            f"UPDATE {o} SET claimed_by = ?, claimed_until = ?, attempts = attempts + 1 "
            f"WHERE position IN (SELECT position FROM {o} "
            "WHERE stream_id IN (SELECT value FROM json_each(?)) ORDER BY position LIMIT ?) "
            "RETURNING position, attempts"
        )
        self.claimed_events = (
            f"SELECT e.position, e.version, e.data, e.stream_id FROM {e} e "
            "WHERE e.position IN (SELECT value FROM json_each(?)) ORDER BY e.position"
        )
        self.published = f"DELETE FROM {o} WHERE position = ? AND claimed_by = ?"
        self.failed = (
            f"UPDATE {o} SET last_error = ?, available_at = ?, parked_at = ?, claimed_by = NULL, "
            "claimed_until = 0 WHERE position = ? AND claimed_by = ?"
        )
        self.released = (
            f"UPDATE {o} SET claimed_by = NULL, claimed_until = 0, attempts = max(attempts - 1, 0) "
            "WHERE position = ? AND claimed_by = ?"
        )
        self.pending_count = f"SELECT count(*) FROM {o}"
        self.parked = (
            "SELECT o.position, o.stream_id, coalesce(e.event_type, ''), o.attempts, o.last_error, "
            "o.parked_at "
            f"FROM {o} o LEFT JOIN {e} e ON e.position = o.position "
            "WHERE o.parked_at IS NOT NULL ORDER BY o.position LIMIT ?"
        )
        self.retry_all = (
            f"UPDATE {o} SET parked_at = NULL, available_at = 0, attempts = 0 WHERE parked_at IS NOT NULL"
        )
        self.retry_one = (
            f"UPDATE {o} SET parked_at = NULL, available_at = 0, attempts = 0 "
            "WHERE position = ? AND parked_at IS NOT NULL"
        )
        self.skip_one = f"DELETE FROM {o} WHERE position = ? AND parked_at IS NOT NULL"
