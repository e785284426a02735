"""The PostgreSQL event, snapshot, checkpoint and lease stores (the ``postgres`` extra: ``asyncpg``).

``PostgresEventStore``, ``PostgresSnapshotStore``, ``PostgresCheckpointStore`` and
``PostgresPartitionLeaseStore`` take a
``PostgresEventStoreConfig``. Each opens its own pool unless given a ``provider``: an open
``asyncpg.Pool`` (borrowed, never closed by the store) or a ``PostgresPool`` shared by the stores.
Importing this package does not import ``asyncpg``; building a store does, and says what to
install when it is missing.
"""

from lexigram.events.stores.postgres.checkpoint_store import PostgresCheckpointStore
from lexigram.events.stores.postgres.dead_letter_store import PostgresDeadLetterStore
from lexigram.events.stores.postgres.event_store import PostgresEventStore
from lexigram.events.stores.postgres.idempotency_store import PostgresIdempotencyStore
from lexigram.events.stores.postgres.lease_store import PostgresPartitionLeaseStore
from lexigram.events.stores.postgres.pool import PostgresPool
from lexigram.events.stores.postgres.snapshot_store import PostgresSnapshotStore
from lexigram.events.stores.postgres.statements import MAX_EVENTS_PER_TRANSACTION
from lexigram.events.stores.postgres.subject_key_store import PostgresSubjectKeyStore

__all__ = [
    "MAX_EVENTS_PER_TRANSACTION",
    "PostgresCheckpointStore",
    "PostgresDeadLetterStore",
    "PostgresEventStore",
    "PostgresIdempotencyStore",
    "PostgresPartitionLeaseStore",
    "PostgresPool",
    "PostgresSnapshotStore",
    "PostgresSubjectKeyStore",
]
