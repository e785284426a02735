"""Where projection tests run: an event store and a checkpoint store in one database."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from lexigram.events.stores.postgres import PostgresEventStore
from lexigram.events.stores.postgres.checkpoint_store import PostgresCheckpointStore
from lexigram.events.stores.sqlite import SqliteEventStore
from lexigram.events.stores.sqlite.checkpoint_store import SqliteCheckpointStore


@dataclass
class Backend:
    """Where a projection test runs: the stores, and how SQL placeholders are written there."""

    name: str
    event_store: Any
    checkpoint_store: Any
    prefix: str
    settings: Any

    def sql(self, statement: str) -> str:
        """Write ``?`` placeholders; on PostgreSQL they become ``$1``, ``$2``…"""
        if self.name == "sqlite":
            return statement.replace("{t}", self.prefix)
        parts = statement.replace("{t}", self.prefix).split("?")
        return "".join(
            part + (f"${index}" if index < len(parts) else "") for index, part in enumerate(parts, 1)
        )

    def new_event_store(self) -> Any:
        """Another event store on the same database (as another process would open)."""
        if self.name == "sqlite":
            return SqliteEventStore(self.settings)
        return PostgresEventStore(self.settings)

    def new_checkpoint_store(self) -> Any:
        """Another checkpoint store on the same database."""
        if self.name == "sqlite":
            return SqliteCheckpointStore(self.settings)
        return PostgresCheckpointStore(self.settings)
