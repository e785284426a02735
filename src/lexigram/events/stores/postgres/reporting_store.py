"""The lifecycle and schema methods of the PostgreSQL stores that report failures as their own error.

The checkpoint, lease, idempotency, dead-letter and saga stores hold a ``StoreLink`` and re-raise
database failures as their own error (``failure_type``); this base class writes those methods once.
"""

from __future__ import annotations

from typing import ClassVar

from lexigram.contracts.exceptions import InfrastructureError
from lexigram.events.stores.failures import reported_as
from lexigram.events.stores.postgres.link import StoreLink
from lexigram.events.stores.postgres.pool import PostgresPool

__all__ = ["ReportingLinkedStore"]


class ReportingLinkedStore:
    """``connect``, ``close``, ``migrate``, ``schema_version`` and ``pool`` over a ``StoreLink``."""

    _link: StoreLink
    failure_type: ClassVar[type[InfrastructureError]]

    async def connect(self) -> None:
        """Open the pool and, with ``auto_create_tables``, create or upgrade the tables. Idempotent."""
        async with reported_as(self.failure_type):
            await self._link.connect()

    async def close(self) -> None:
        """Release the pool (closing it when the store opened it and is its last user). Idempotent."""
        await self._link.close()

    async def migrate(self) -> list[int]:
        """Apply pending schema migrations; return the versions applied (``[]`` when up to date)."""
        async with reported_as(self.failure_type):
            return await self._link.migrate()

    async def schema_version(self) -> int:
        """The newest schema migration applied to the database, 0 when none."""
        async with reported_as(self.failure_type):
            return await self._link.schema_version()

    @property
    def latest_schema_version(self) -> int:
        """The schema version this code brings a database to."""
        return self._link.migrator.latest

    @property
    def pool(self) -> PostgresPool:
        """The store's pool (shared with other stores when they were given the same one)."""
        return self._link.pool
