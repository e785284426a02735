"""In-memory event and snapshot stores, for tests, development and single-process tools."""

from lexigram.events.stores.memory.event_store import EventEvictionWarning, InMemoryEventStore
from lexigram.events.stores.memory.snapshot_store import InMemorySnapshotStore

__all__ = ["EventEvictionWarning", "InMemoryEventStore", "InMemorySnapshotStore"]
