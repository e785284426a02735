"""The lifecycle and schema methods the SQLite event and snapshot stores share."""

from __future__ import annotations

from lexigram.events.config import SqliteConfig
from lexigram.events.stores.sqlite.database import SqliteDatabase

__all__ = ["SqliteStoreLifecycle"]


class SqliteStoreLifecycle:
    """``database``, ``connect``, ``migrate``, ``schema_version`` and ``close`` over a ``SqliteDatabase``."""

    config: SqliteConfig
    _db: SqliteDatabase

    @property
    def database(self) -> str:
        """The database file (or ``:memory:``) this store uses."""
        return self.config.database

    async def connect(self) -> None:
        """Open the connection and create or upgrade the store's tables; idempotent."""
        await self._db.connect()

    async def migrate(self) -> list[int]:
        """Apply the schema migrations the database lacks; return the versions applied now."""
        return await self._db.migrate()

    async def schema_version(self) -> int:
        """The store's schema version in the database (0: not initialised)."""
        return await self._db.schema_version()

    @property
    def latest_schema_version(self) -> int:
        """The schema version this code brings a database to."""
        return self._db.schema.latest

    async def close(self) -> None:
        """Close the connection; a later operation opens it again."""
        await self._db.close()
