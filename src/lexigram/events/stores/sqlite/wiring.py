"""Building the SQLite stores from ``EventsConfig``, for ``EventsModule`` and the command line."""

from __future__ import annotations

from lexigram.contracts.exceptions import ConfigurationError
from lexigram.events.config import EventsConfig
from lexigram.events.stores.sqlite.event_store import SqliteEventStore
from lexigram.events.stores.sqlite.snapshot_store import SqliteSnapshotStore

__all__ = ["sqlite_stores"]


def sqlite_stores(config: EventsConfig) -> tuple[SqliteEventStore, SqliteSnapshotStore]:
    """The event and snapshot stores of the ``sqlite`` section (no I/O: they connect later).

    Both use the same database file, each with its own connection and tables; the snapshot store
    keeps ``snapshots.max_snapshots_per_aggregate`` snapshots per aggregate.
    """
    if config.sqlite is None:
        raise ConfigurationError(
            "event_store_backend is SQLITE but the 'sqlite' section is missing; add one, for example "
            "sqlite: {database: events.db}"
        )
    return (
        SqliteEventStore(config=config.sqlite, outbox=config.outbox_enabled),
        SqliteSnapshotStore(
            config=config.sqlite,
            max_snapshots_per_aggregate=config.snapshots.max_snapshots_per_aggregate,
        ),
    )
