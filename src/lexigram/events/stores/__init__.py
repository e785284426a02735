"""Event and snapshot stores: the abstract bases every backend builds on, and the in-memory stores."""

from lexigram.events.stores.base import AbstractEventStore
from lexigram.events.stores.memory import EventEvictionWarning, InMemoryEventStore, InMemorySnapshotStore
from lexigram.events.stores.partitioning import Partition, partition_of, stream_hash
from lexigram.events.stores.snapshot_base import AbstractSnapshotStore

__all__ = [
    "AbstractEventStore",
    "AbstractSnapshotStore",
    "EventEvictionWarning",
    "InMemoryEventStore",
    "InMemorySnapshotStore",
    "Partition",
    "partition_of",
    "stream_hash",
]
