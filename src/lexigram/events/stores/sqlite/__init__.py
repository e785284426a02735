"""SQLite event and snapshot stores: the embedded default, with nothing to install beyond Python."""

from lexigram.events.stores.sqlite.event_store import SqliteEventStore
from lexigram.events.stores.sqlite.snapshot_store import SqliteSnapshotStore

__all__ = ["SqliteEventStore", "SqliteSnapshotStore"]
