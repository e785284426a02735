"""Building the PostgreSQL stores of an application from its ``EventsConfig``."""

from __future__ import annotations

from lexigram.contracts.exceptions import ConfigurationError
from lexigram.events.config import EventsConfig
from lexigram.events.stores.postgres.event_store import PostgresEventStore
from lexigram.events.stores.postgres.pool import PostgresPool
from lexigram.events.stores.postgres.snapshot_store import PostgresSnapshotStore

__all__ = ["postgres_stores"]


def postgres_stores(config: EventsConfig) -> tuple[PostgresEventStore, PostgresSnapshotStore]:
    """The event and snapshot stores of the ``postgres`` section, sharing one pool (no I/O yet).

    The pool opens when the application boots (the stores' ``connect()``) and closes when the last
    of the two stores closes at shutdown. The snapshot store keeps
    ``snapshots.max_snapshots_per_aggregate`` snapshots per aggregate.
    """
    section = config.postgres
    if section is None:
        raise ConfigurationError("event_store_backend is POSTGRES but the 'postgres' section is missing")
    pool = PostgresPool(section)
    return (
        PostgresEventStore(config=section, provider=pool, outbox=config.outbox_enabled),
        PostgresSnapshotStore(
            config=section,
            provider=pool,
            max_snapshots_per_aggregate=config.snapshots.max_snapshots_per_aggregate,
        ),
    )
