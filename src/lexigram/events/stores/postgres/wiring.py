"""Building the PostgreSQL stores of an application from its ``EventsConfig``."""

from __future__ import annotations

from typing import Any

from lexigram.contracts.exceptions import ConfigurationError
from lexigram.events.config import EventsConfig
from lexigram.events.stores.postgres.event_store import PostgresEventStore
from lexigram.events.stores.postgres.pool import PostgresPool
from lexigram.events.stores.postgres.snapshot_store import PostgresSnapshotStore

__all__ = ["postgres_stores"]


def postgres_stores(config: EventsConfig, schema_evolution: Any = None) -> tuple[Any, ...]:
    """The event and snapshot stores of the ``postgres`` section, sharing one pool (no I/O yet).

    The pool opens when the application boots (the stores' ``connect()``) and closes when the last
    of the two stores closes at shutdown. The snapshot store keeps
    ``snapshots.max_snapshots_per_aggregate`` snapshots per aggregate.
    """
    section = config.postgres
    if section is None:
        raise ConfigurationError("event_store_backend is POSTGRES but the 'postgres' section is missing")
    pool = PostgresPool(section)
    encryption, serializer, extras = config.encryption, None, []
    if encryption.enabled:
        from lexigram.events.encryption.wiring import encrypting_serializer
        from lexigram.events.stores.postgres.subject_key_store import PostgresSubjectKeyStore

        subject_keys = PostgresSubjectKeyStore(section, pool, table=encryption.subject_keys_table)
        serializer, extras = encrypting_serializer(encryption, subject_keys), [subject_keys]
    return (
        PostgresEventStore(
            config=section,
            provider=pool,
            event_serializer=serializer,
            schema_evolution=schema_evolution,
            outbox=config.outbox_enabled,
        ),
        PostgresSnapshotStore(
            config=section,
            provider=pool,
            max_snapshots_per_aggregate=config.snapshots.max_snapshots_per_aggregate,
        ),
        *extras,
    )
