"""Building the Redis stores of an application from ``EventsConfig``."""

from __future__ import annotations

from typing import Any

from lexigram.contracts.exceptions import ConfigurationError
from lexigram.events.config import EventsConfig
from lexigram.events.stores.redis.event_store import RedisEventStore
from lexigram.events.stores.redis.snapshot_store import RedisSnapshotStore

__all__ = ["redis_stores"]


def redis_stores(
    config: EventsConfig, schema_evolution: Any = None
) -> tuple[RedisEventStore, RedisSnapshotStore]:
    """The event store (owning the connection) and a snapshot store sharing it, in one namespace.

    No I/O happens here; the application connects the stores at boot and closes them at shutdown
    (the event store closes the shared connection).
    """
    section = config.redis
    if section is None or section.url is None:
        raise ConfigurationError(
            "the REDIS backend needs events.redis.url (for example redis://localhost:6379/0)"
        )
    events = RedisEventStore.from_config(section, schema_evolution=schema_evolution)
    snapshots = RedisSnapshotStore(
        events.state_store, section.namespace, config.snapshots.max_snapshots_per_aggregate
    )
    return events, snapshots
