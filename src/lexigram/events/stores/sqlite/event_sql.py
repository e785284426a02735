"""The SQL of the SQLite event store, rendered once per store for its configured table names."""

from __future__ import annotations

from functools import lru_cache

__all__ = ["EventSql"]

_NOW = "strftime('%Y-%m-%dT%H:%M:%fZ', 'now')"
"""The current UTC time as ISO 8601 text, computed by SQLite (``created_at``/``updated_at``)."""


class EventSql:
    """Every statement the event store runs, for one ``events`` table and its ``_streams`` table.

    Reads select ``position, version, data`` in that order: the shape ``EventCodec.decode`` takes;
    reads of envelopes add ``stream_id``.
    """

    def __init__(self, events: str, streams: str) -> None:
        e, s = f'"{events}"', f'"{streams}"'
        self.stream_version = f"SELECT version FROM {s} WHERE stream_id = ?"
        self.insert_stream = (
            f"INSERT INTO {s} (stream_id, version, aggregate_type, created_at, updated_at) "
            f"VALUES (?, ?, ?, {_NOW}, {_NOW})"
        )
        self.update_stream = (
            f"UPDATE {s} SET version = ?, aggregate_type = coalesce(aggregate_type, ?), updated_at = {_NOW} "
            "WHERE stream_id = ?"
        )
        self.insert_event = (
            f"INSERT INTO {e} (stream_id, version, event_id, event_type, occurred_at, stream_hash, data) "
            "VALUES (?, ?, ?, ?, ?, ?, ?)"
        )
        self.last_position = "SELECT last_insert_rowid()"
        select = f"SELECT position, version, data FROM {e}"
        self.read_stream = f"{select} WHERE stream_id = ? AND version >= ? ORDER BY version LIMIT ?"
        self.read_stream_range = (
            f"{select} WHERE stream_id = ? AND version >= ? AND version <= ? ORDER BY version LIMIT ?"
        )
        self.read_global = f"{select} WHERE position > ? ORDER BY position LIMIT ?"
        self.read_partition = f"{select} WHERE position > ? AND stream_hash % ? = ? ORDER BY position LIMIT ?"
        enveloped = f"SELECT position, version, data, stream_id FROM {e}"
        self.read_global_envelopes = f"{enveloped} WHERE position > ? ORDER BY position LIMIT ?"
        self.read_partition_envelopes = (
            f"{enveloped} WHERE position > ? AND stream_hash % ? = ? ORDER BY position LIMIT ?"
        )
        self.find_by_type = f"{select} WHERE event_type = ? ORDER BY position LIMIT ? OFFSET ?"
        self._select = select
        self.stream_info = (
            f"SELECT version, aggregate_type, "
            f"(SELECT count(*) FROM {e} WHERE stream_id = :id), "
            f"(SELECT occurred_at FROM {e} WHERE stream_id = :id ORDER BY version LIMIT 1), "
            f"(SELECT occurred_at FROM {e} WHERE stream_id = :id ORDER BY version DESC LIMIT 1) "
            f"FROM {s} WHERE stream_id = :id"
        )
        self.compact = f"DELETE FROM {e} WHERE stream_id = ? AND version <= ?"
        self.delete_stream = f"DELETE FROM {e} WHERE stream_id = ?"
        self.forget_stream = f"DELETE FROM {s} WHERE stream_id = ?"
        self.stream_ids = f"SELECT stream_id FROM {s} ORDER BY rowid"
        self.count_all = f"SELECT count(*) FROM {e}"
        self.count_stream = f"SELECT count(*) FROM {e} WHERE stream_id = ?"

    def read_by_types(self, type_count: int) -> str:
        """Events of any of ``type_count`` types after a position, in order, up to a limit."""
        return _by_types(self._select, type_count)


@lru_cache(maxsize=64)
def _by_types(select: str, type_count: int) -> str:
    marks = ", ".join("?" * type_count)
    return f"{select} WHERE event_type IN ({marks}) AND position > ? ORDER BY position LIMIT ?"
