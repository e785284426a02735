"""Building the MongoDB stores of an application from ``EventsConfig``."""

from __future__ import annotations

from typing import Any

from lexigram.contracts.exceptions import ConfigurationError
from lexigram.events.config import EventsConfig
from lexigram.events.stores.mongodb.config import MongoDBConfig
from lexigram.events.stores.mongodb.event_store import MongoDBEventStore
from lexigram.events.stores.mongodb.snapshot_store import MongoDBSnapshotStore

__all__ = ["mongodb_stores"]


def mongodb_stores(
    config: EventsConfig, schema_evolution: Any = None
) -> tuple[MongoDBEventStore, MongoDBSnapshotStore]:
    """The event store (owning the client) and a snapshot store sharing its document store.

    No I/O happens here; the application connects the stores at boot (creating their indexes) and
    closes them at shutdown (the event store closes the shared client).
    """
    section = config.mongodb
    if section is None or section.connection_string is None:
        raise ConfigurationError(
            "the MONGODB backend needs events.mongodb.connection_string (for example mongodb://localhost:27017)"
        )
    settings = MongoDBConfig.from_section(section, config.snapshots.max_snapshots_per_aggregate)
    events = MongoDBEventStore.from_config(settings, schema_evolution=schema_evolution)
    snapshots = MongoDBSnapshotStore(settings, document_store=events.document_store)
    return events, snapshots
