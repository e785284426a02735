"""Event, snapshot and checkpoint stores: the abstract bases of the backends, and the in-memory stores."""

from lexigram.events.stores.base import AbstractEventStore
from lexigram.events.stores.memory import (
    EventEvictionWarning,
    InMemoryCheckpointStore,
    InMemoryEventStore,
    InMemoryPartitionLeaseStore,
    InMemorySnapshotStore,
)
from lexigram.events.stores.partitioning import Partition, partition_of, stream_hash
from lexigram.events.stores.signals import AppendSignal
from lexigram.events.stores.snapshot_base import AbstractSnapshotStore

__all__ = [
    "AbstractEventStore",
    "AbstractSnapshotStore",
    "AppendSignal",
    "EventEvictionWarning",
    "InMemoryCheckpointStore",
    "InMemoryEventStore",
    "InMemoryPartitionLeaseStore",
    "InMemorySnapshotStore",
    "Partition",
    "partition_of",
    "stream_hash",
]
