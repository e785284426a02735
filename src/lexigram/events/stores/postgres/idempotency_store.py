"""``PostgresIdempotencyStore``: idempotency keys and inbox records in PostgreSQL."""

from __future__ import annotations

from contextlib import AbstractAsyncContextManager
from typing import TYPE_CHECKING, Any, ClassVar

from lexigram.contracts.events.idempotency import ClaimOutcome, ClaimStatus, IdempotencyRecord, RecordStatus
from lexigram.contracts.exceptions import ConfigurationError, InfrastructureError
from lexigram.events.config import PostgresEventStoreConfig
from lexigram.events.exceptions import IdempotencyStoreError
from lexigram.events.idempotency.checks import (
    checked_key,
    checked_result,
    checked_seconds,
    checked_token,
    checked_ttl,
)
from lexigram.events.stores.failures import reported_as
from lexigram.events.stores.postgres.driver import status_count
from lexigram.events.stores.postgres.idempotency_schema import IDEMPOTENCY_MIGRATIONS, IdempotencyTables
from lexigram.events.stores.postgres.idempotency_sql import IdempotencyStatements, record_from_row
from lexigram.events.stores.postgres.idempotency_transaction import PostgresIdempotencyTransaction
from lexigram.events.stores.postgres.link import StoreLink, pool_for
from lexigram.events.stores.postgres.migrator import Migrator
from lexigram.events.stores.postgres.reporting_store import ReportingLinkedStore
from lexigram.events.stores.postgres.session import lent_transaction

if TYPE_CHECKING:
    from lexigram.contracts.events.idempotency import TransactionalIdempotencyStoreProtocol

__all__ = ["PostgresIdempotencyStore"]


class PostgresIdempotencyStore(ReportingLinkedStore):
    """Idempotency records in PostgreSQL, shared by every process of an application.

    Example::

        store = PostgresIdempotencyStore(PostgresEventStoreConfig(dsn=dsn), provider=event_store.pool)
        bus = CommandBus(idempotency_store=store)
        inbox = Inbox(store, consumer="billing")   # inbox.receive(event): exactly-once with your SQL

    ``provider`` and ``connect()`` work as for ``PostgresEventStore`` (None: its own pool; a
    ``PostgresPool`` is shared, an ``asyncpg.Pool`` borrowed). With ``auto_create_tables`` the
    first operation creates ``idempotency_table``. A claim is one ``INSERT ... ON CONFLICT``
    statement, atomic across processes; times come from the server's clock.
    """

    failure_type: ClassVar[type[InfrastructureError]] = IdempotencyStoreError

    def __init__(self, config: PostgresEventStoreConfig | None = None, provider: Any = None) -> None:
        if config is not None and not isinstance(config, PostgresEventStoreConfig):
            raise ConfigurationError(
                f"config must be a PostgresEventStoreConfig, got {type(config).__name__}"
            )
        self.config = config if config is not None else PostgresEventStoreConfig()
        self.tables = IdempotencyTables.named(self.config.idempotency_table)
        self._sql = IdempotencyStatements(self.tables.keys)
        pool = pool_for(self.config, provider)
        self._link = StoreLink(
            "PostgresIdempotencyStore",
            self.config,
            pool,
            Migrator(pool.driver, IDEMPOTENCY_MIGRATIONS, self.tables.names, self.tables.migrations),
        )

    async def claim(self, key: str, fingerprint: str, token: str, lease_seconds: float) -> ClaimOutcome:
        """Claim ``key`` when it is free (absent or expired); otherwise return its live record."""
        key, token = checked_key(key), checked_token(token)
        fingerprint = checked_key(fingerprint, "the fingerprint")
        lease = checked_seconds(lease_seconds, "lease_seconds")
        async with (
            reported_as(IdempotencyStoreError),
            self._link.connection(f"claim the idempotency key {key!r}", writing=True) as connection,
        ):
            while True:  # a live record can vanish between the two statements (released, purged)
                row = await connection.fetchrow(self._sql.claim, key, fingerprint, token, lease)
                if row is not None:
                    return ClaimOutcome(ClaimStatus.CLAIMED, record_from_row(row))
                row = await connection.fetchrow(self._sql.live, key)
                if row is not None:
                    record = record_from_row(row)
                    completed = record.status is RecordStatus.COMPLETED
                    return ClaimOutcome(ClaimStatus.COMPLETED if completed else ClaimStatus.PENDING, record)

    async def complete(self, key: str, token: str, result: str, ttl_seconds: float | None) -> bool:
        """Record the result of the claim ``token`` holds; False when it holds none."""
        key, token, result = checked_key(key), checked_token(token), checked_result(result)
        ttl = checked_ttl(ttl_seconds, "ttl_seconds")
        async with (
            reported_as(IdempotencyStoreError),
            self._link.connection(
                f"record the result of idempotency key {key!r}", writing=True
            ) as connection,
        ):
            status = await connection.execute(self._sql.complete, key, token, result, ttl)
        return status_count(status) > 0

    async def release(self, key: str, token: str) -> bool:
        """Delete the pending claim ``token`` holds; False when it holds none."""
        key, token = checked_key(key), checked_token(token)
        async with (
            reported_as(IdempotencyStoreError),
            self._link.connection(f"release the idempotency key {key!r}", writing=True) as connection,
        ):
            status = await connection.execute(self._sql.release, key, token)
        return status_count(status) > 0

    async def get(self, key: str) -> IdempotencyRecord | None:
        """The live record of ``key``, or None."""
        key = checked_key(key)
        async with (
            reported_as(IdempotencyStoreError),
            self._link.connection(f"read the idempotency key {key!r}", writing=False) as connection,
        ):
            row = await connection.fetchrow(self._sql.live, key)
        return None if row is None else record_from_row(row)

    async def purge_expired(self) -> int:
        """Delete the expired records; return how many."""
        async with (
            reported_as(IdempotencyStoreError),
            self._link.connection("purge expired idempotency keys", writing=True) as connection,
        ):
            return status_count(await connection.execute(self._sql.purge))

    def transaction(self) -> AbstractAsyncContextManager[PostgresIdempotencyTransaction]:
        """One transaction on one connection: the caller's SQL and ``record_once`` commit together.

        When the block raises, everything rolls back and the exception propagates unchanged. When
        a statement failed inside the block but the block did not raise, nothing can commit: the
        transaction rolls back and ``IdempotencyStoreError`` says so.
        """
        return lent_transaction(
            self._link,
            lambda connection: PostgresIdempotencyTransaction(connection, self._link, self._sql),
            name="inbox transaction",
            lost="the inbox record included",
            failure=IdempotencyStoreError,
        )


if TYPE_CHECKING:

    def _satisfies_the_protocol(store: PostgresIdempotencyStore) -> TransactionalIdempotencyStoreProtocol:
        return store
