"""The pytest plugin of lexigram-events, loaded automatically through the ``pytest11`` entry point.

It provides two fixtures, each giving a test a fresh store:

- ``in_memory_event_store``: an ``InMemoryEventStore`` that keeps every event
  (``max_events_per_stream=0``);
- ``in_memory_snapshot_store``: an ``InMemorySnapshotStore``.

Importing this module has no side effects: the stores are imported when a fixture is first used.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import pytest

if TYPE_CHECKING:
    from lexigram.events.stores.memory import InMemoryEventStore, InMemorySnapshotStore

__all__ = ["in_memory_event_store", "in_memory_snapshot_store"]


@pytest.fixture
def in_memory_event_store() -> InMemoryEventStore:
    """A fresh in-memory event store that keeps every event."""
    from lexigram.events.stores.memory import InMemoryEventStore

    return InMemoryEventStore(max_events_per_stream=0)


@pytest.fixture
def in_memory_snapshot_store() -> InMemorySnapshotStore:
    """A fresh in-memory snapshot store."""
    from lexigram.events.stores.memory import InMemorySnapshotStore

    return InMemorySnapshotStore()
