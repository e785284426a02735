"""Applying a store's migrations to PostgreSQL, safely from several processes at once."""

from __future__ import annotations

import zlib
from collections.abc import Sequence
from typing import Any

from lexigram.events.exceptions import SchemaError
from lexigram.events.stores.migrations import Migration
from lexigram.events.stores.postgres.driver import ConnectionLike

__all__ = ["Migrator"]

_LOCK_NAMESPACE = 0x6C657869  # "lexi": keeps our advisory lock keys apart from other applications'


class Migrator:
    """Applies pending migrations and records them in the store's ``..._schema_migrations`` table.

    ``migrate`` runs in one transaction holding a transaction-scoped advisory lock keyed by the
    migrations table, so concurrent ``connect()`` calls from several processes apply each migration
    exactly once; DDL is transactional in PostgreSQL, so a failed migration leaves nothing behind.
    """

    def __init__(
        self, driver: Any, migrations: Sequence[Migration], names: dict[str, str], table: str
    ) -> None:
        self.driver = driver
        self.migrations = migrations
        self.names = names
        self.table = table
        self.lock_key = (_LOCK_NAMESPACE << 32) | zlib.crc32(table.encode())

    @property
    def latest(self) -> int:
        """The newest schema version this code knows."""
        return self.migrations[-1].version if self.migrations else 0

    async def schema_version(self, connection: ConnectionLike) -> int:
        """The newest applied migration, 0 when none has been applied."""
        if await connection.fetchval("SELECT to_regclass($1) IS NOT NULL", self.table) is not True:
            return 0
        version = await connection.fetchval(f"SELECT COALESCE(max(version), 0) FROM {self.table}")
        return int(version)

    def check_not_newer(self, version: int) -> None:
        """Raise ``SchemaError`` when a newer lexigram-events migrated the database."""
        if version > self.latest:
            raise SchemaError(
                f"the PostgreSQL schema recorded in {self.table} is at version {version}, but this "
                f"lexigram-events only knows versions up to {self.latest}; upgrade lexigram-events"
            )

    def check_current(self, version: int) -> None:
        """Raise ``SchemaError`` unless the database schema is exactly the one this code needs."""
        self.check_not_newer(version)
        if version < self.latest:
            raise SchemaError(
                f"the PostgreSQL schema recorded in {self.table} is at version {version}, and this "
                f"lexigram-events needs {self.latest}: run `lexigram-events db upgrade` (`db init` for a "
                "new database), call `await store.migrate()`, or set auto_create_tables=True"
            )

    async def migrate(self, connection: ConnectionLike) -> list[int]:
        """Apply the pending migrations in order; return the versions applied (``[]`` when up to date)."""
        current = await self.schema_version(connection)
        self.check_not_newer(current)
        if current == self.latest:
            return []
        applied_now: list[int] = []
        async with connection.transaction():
            await connection.execute("SELECT pg_advisory_xact_lock($1)", self.lock_key)
            await connection.execute(
                f"""
                CREATE TABLE IF NOT EXISTS {self.table} (
                    version     integer     PRIMARY KEY,
                    description text        NOT NULL,
                    applied_at  timestamptz NOT NULL DEFAULT now()
                )
                """
            )
            current = await self.schema_version(connection)
            self.check_not_newer(current)
            for migration in self.migrations:
                if migration.version <= current:
                    continue
                for statement in migration.render(**self.names):
                    try:
                        await connection.execute(statement)
                    except (self.driver.DuplicateTableError, self.driver.DuplicateObjectError) as exc:
                        raise SchemaError(
                            f"migration {migration.version} ({migration.description}) cannot run: {exc}. "
                            "A table or index with that name exists but was not created by this store; "
                            "choose other table names (events_table, snapshots_table, checkpoints_table, "
                            "parked_table, leases_table)"
                        ) from exc
                await connection.execute(
                    f"INSERT INTO {self.table} (version, description) VALUES ($1, $2)",
                    migration.version,
                    migration.description,
                )
                applied_now.append(migration.version)
        return applied_now
