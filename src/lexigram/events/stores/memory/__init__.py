"""In-memory event, snapshot and checkpoint stores, for tests, development and single-process tools."""

from lexigram.events.stores.memory.checkpoint_store import InMemoryCheckpointStore
from lexigram.events.stores.memory.event_store import EventEvictionWarning, InMemoryEventStore
from lexigram.events.stores.memory.snapshot_store import InMemorySnapshotStore

__all__ = ["EventEvictionWarning", "InMemoryCheckpointStore", "InMemoryEventStore", "InMemorySnapshotStore"]
