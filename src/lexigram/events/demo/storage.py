"""Where the demo keeps its events: a SQLite file, started afresh on every run.

The demo tells the same story each time, so each run needs an empty store. ``start_afresh``
deletes the file of an earlier demo run (one whose tables and streams are all the demo's) and
refuses any other file, so pointing ``--database`` at real data never destroys it.
"""

from __future__ import annotations

import sqlite3
from pathlib import Path

from lexigram.contracts.exceptions import ConfigurationError
from lexigram.events.config import EventsConfig, SqliteConfig
from lexigram.events.types import EventStoreBackend

__all__ = [
    "DEMO_DATABASE",
    "DEMO_ORDERS",
    "DEMO_READ_MODEL",
    "demo_config",
    "start_afresh",
    "stored_in_file",
]

DEMO_DATABASE = "lexigram-demo.db"
"""The demo's database file, in the current directory unless another is given."""

DEMO_ORDERS = frozenset({"o-1001", "o-1002", "o-1003"})
"""The streams (one per order) the demo writes."""

DEMO_READ_MODEL = "order_summary"
"""The table of the demo's SQL read model, in the same file."""


def demo_config(database: str | Path | None = None) -> EventsConfig:
    """The demo's config: SQLite in ``database`` (default ``./lexigram-demo.db``)."""
    path = str(database if database is not None else DEMO_DATABASE)
    return EventsConfig(event_store_backend=EventStoreBackend.SQLITE, sqlite=SqliteConfig(database=path))


def stored_in_file(config: EventsConfig) -> Path | None:
    """The database file of a SQLite config, None for other backends and in-memory databases."""
    if config.event_store_backend is not EventStoreBackend.SQLITE or config.sqlite is None:
        return None
    database = config.sqlite.database
    if database == ":memory:" or database.startswith("file:"):
        return None
    return Path(database).expanduser().resolve()


def start_afresh(config: SqliteConfig) -> None:
    """Delete the database file of an earlier demo run; refuse a file that holds anything else."""
    path = Path(config.database).expanduser().resolve()
    if not path.exists() or path.stat().st_size == 0:
        _delete(path)
        return
    problem = _foreign_content(path, config)
    if problem is not None:
        raise ConfigurationError(
            f"the demo will not use {path}: {problem}. Give it another file (--database) or delete this one"
        )
    _delete(path)


def _foreign_content(path: Path, config: SqliteConfig) -> str | None:
    """Why the file is not an earlier demo's database, or None when it is."""
    events, snapshots, checkpoints = config.events_table, config.snapshots_table, config.checkpoints_table
    ours = {
        events,
        f"{events}_streams",
        f"{events}_schema_migrations",
        snapshots,
        f"{snapshots}_schema_migrations",
        checkpoints,
        config.parked_table,
        f"{checkpoints}_schema_migrations",
        DEMO_READ_MODEL,
        "sqlite_sequence",
        config.outbox_table or f"{events}_outbox",
    }
    for table in (config.idempotency_table, config.dead_letters_table, config.sagas_table):
        ours.update((table, f"{table}_schema_migrations"))
    try:
        connection = sqlite3.connect(f"{path.as_uri()}?mode=ro", uri=True)
    except sqlite3.Error as exc:
        return f"it cannot be opened ({exc})"
    try:
        tables = {row[0] for row in connection.execute("SELECT name FROM sqlite_master WHERE type = 'table'")}
        if tables - ours:
            return f"it holds other tables ({', '.join(sorted(tables - ours))})"
        if f"{events}_streams" in tables:
            streams = {row[0] for row in connection.execute(f'SELECT stream_id FROM "{events}_streams"')}
            if streams - DEMO_ORDERS:
                return "it holds streams that are not the demo's"
    except sqlite3.Error as exc:
        return f"it is not a SQLite database ({exc})"
    finally:
        connection.close()
    return None


def _delete(path: Path) -> None:
    for suffix in ("", "-wal", "-shm", "-journal"):
        path.with_name(path.name + suffix).unlink(missing_ok=True)
