"""Event, snapshot and checkpoint stores: the abstract bases of the backends, and the in-memory stores."""

from lexigram.events.stores.base import AbstractEventStore
from lexigram.events.stores.memory import (
    EventEvictionWarning,
    InMemoryCheckpointStore,
    InMemoryEventStore,
    InMemorySnapshotStore,
)
from lexigram.events.stores.partitioning import Partition, partition_of, stream_hash
from lexigram.events.stores.snapshot_base import AbstractSnapshotStore

__all__ = [
    "AbstractEventStore",
    "AbstractSnapshotStore",
    "EventEvictionWarning",
    "InMemoryCheckpointStore",
    "InMemoryEventStore",
    "InMemorySnapshotStore",
    "Partition",
    "partition_of",
    "stream_hash",
]
