"""Building the SQLite stores from ``EventsConfig``, for ``EventsModule`` and the command line."""

from __future__ import annotations

from typing import Any

from lexigram.contracts.exceptions import ConfigurationError
from lexigram.events.config import EventsConfig
from lexigram.events.stores.sqlite.event_store import SqliteEventStore
from lexigram.events.stores.sqlite.snapshot_store import SqliteSnapshotStore

__all__ = ["sqlite_stores"]


def sqlite_stores(config: EventsConfig, schema_evolution: Any = None) -> tuple[Any, ...]:
    """The event and snapshot stores of the ``sqlite`` section (no I/O: they connect later).

    Both use the same database file, each with its own connection and tables; the snapshot store
    keeps ``snapshots.max_snapshots_per_aggregate`` snapshots per aggregate. With
    ``encryption.enabled`` the event store encrypts through an ``EncryptedEventSerializer`` whose
    subject keys live in the same file; that subject-key store comes third, to be closed too.
    """
    if config.sqlite is None:
        raise ConfigurationError(
            "event_store_backend is SQLITE but the 'sqlite' section is missing; add one, for example "
            "sqlite: {database: events.db}"
        )
    encryption, serializer, extras = config.encryption, None, []
    if encryption.enabled:
        from lexigram.events.encryption.wiring import encrypting_serializer
        from lexigram.events.stores.sqlite.subject_key_store import SqliteSubjectKeyStore

        subject_keys = SqliteSubjectKeyStore(config.sqlite, table=encryption.subject_keys_table)
        serializer, extras = encrypting_serializer(encryption, subject_keys), [subject_keys]
    return (
        SqliteEventStore(
            config=config.sqlite,
            event_serializer=serializer,
            schema_evolution=schema_evolution,
            outbox=config.outbox_enabled,
        ),
        SqliteSnapshotStore(
            config=config.sqlite,
            max_snapshots_per_aggregate=config.snapshots.max_snapshots_per_aggregate,
        ),
        *extras,
    )
