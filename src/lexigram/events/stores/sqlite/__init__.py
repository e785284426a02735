"""SQLite event, snapshot and checkpoint stores: the embedded default, nothing to install beyond Python."""

from lexigram.events.stores.sqlite.checkpoint_store import SqliteCheckpointStore
from lexigram.events.stores.sqlite.dead_letter_store import SqliteDeadLetterStore
from lexigram.events.stores.sqlite.event_store import SqliteEventStore
from lexigram.events.stores.sqlite.idempotency_store import SqliteIdempotencyStore
from lexigram.events.stores.sqlite.snapshot_store import SqliteSnapshotStore
from lexigram.events.stores.sqlite.subject_key_store import SqliteSubjectKeyStore

__all__ = [
    "SqliteCheckpointStore",
    "SqliteDeadLetterStore",
    "SqliteEventStore",
    "SqliteIdempotencyStore",
    "SqliteSnapshotStore",
    "SqliteSubjectKeyStore",
]
