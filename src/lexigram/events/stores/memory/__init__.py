"""In-memory event, snapshot, checkpoint and lease stores, for tests, development and single processes."""

from lexigram.events.stores.memory.checkpoint_store import InMemoryCheckpointStore
from lexigram.events.stores.memory.event_store import EventEvictionWarning, InMemoryEventStore
from lexigram.events.stores.memory.idempotency_store import InMemoryIdempotencyStore
from lexigram.events.stores.memory.lease_store import InMemoryPartitionLeaseStore
from lexigram.events.stores.memory.snapshot_store import InMemorySnapshotStore
from lexigram.events.stores.memory.subject_key_store import InMemorySubjectKeyStore

__all__ = [
    "EventEvictionWarning",
    "InMemoryCheckpointStore",
    "InMemoryEventStore",
    "InMemoryIdempotencyStore",
    "InMemoryPartitionLeaseStore",
    "InMemorySnapshotStore",
    "InMemorySubjectKeyStore",
]
