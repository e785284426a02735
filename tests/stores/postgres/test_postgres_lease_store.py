"""``PostgresPartitionLeaseStore``: the conformance suite on a real server, and what only PostgreSQL does.

The lease tables have their own migrations, a lease checked inside a checkpoint transaction
cannot be taken over before that transaction ends, and claims use the server's clock.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Callable
from typing import Any

import pytest

from lexigram.contracts.exceptions import ConfigurationError
from lexigram.events.config import PostgresEventStoreConfig
from lexigram.events.stores.postgres import PostgresPool
from lexigram.events.stores.postgres.checkpoint_store import PostgresCheckpointStore
from lexigram.events.stores.postgres.lease_store import PostgresPartitionLeaseStore
from lexigram.events.testing import PartitionLeaseStoreContract

ConfigFactory = Callable[..., PostgresEventStoreConfig]


def lease_config(pg_config: ConfigFactory, **settings: Any) -> PostgresEventStoreConfig:
    """A config whose leases table is named after its (dropped afterwards) events table."""
    config = pg_config(**settings)
    return config.model_copy(update={"leases_table": f"{config.events_table}_leases"})


class TestPostgresPartitionLeaseStore(PartitionLeaseStoreContract):
    @pytest.fixture
    def shared(self, pg_config: ConfigFactory) -> tuple[PostgresPool, Any]:
        """One pool for the lease store and the checkpoint store (it closes with the last of them)."""
        config = lease_config(pg_config)
        return PostgresPool(config), config

    @pytest.fixture
    async def lease_store(
        self, shared: tuple[PostgresPool, Any]
    ) -> AsyncIterator[PostgresPartitionLeaseStore]:
        pool, config = shared
        store = PostgresPartitionLeaseStore(config, provider=pool)  # the first operation connects
        yield store
        await store.close()

    @pytest.fixture
    async def fencing_checkpoints(
        self, shared: tuple[PostgresPool, Any]
    ) -> AsyncIterator[PostgresCheckpointStore]:
        pool, config = shared
        store = PostgresCheckpointStore(config, provider=pool)
        yield store
        await store.close()


@pytest.fixture
async def stores(
    pg_config: ConfigFactory,
) -> AsyncIterator[tuple[PostgresPartitionLeaseStore, PostgresCheckpointStore]]:
    config = lease_config(pg_config)
    pool = PostgresPool(config)
    leases = PostgresPartitionLeaseStore(config, provider=pool)
    checkpoints = PostgresCheckpointStore(config, provider=pool)
    await leases.connect()
    await checkpoints.connect()
    yield leases, checkpoints
    await checkpoints.close()
    await leases.close()


async def test_a_lease_checked_in_a_transaction_cannot_be_taken_over_until_it_ends(
    stores: tuple[PostgresPartitionLeaseStore, PostgresCheckpointStore],
) -> None:
    leases, checkpoints = stores
    (lease,) = await leases.claim("totals", 1, "w1", 0.2, 1)
    await asyncio.sleep(0.4)  # expired: free to take, unless someone is committing under it
    async with checkpoints.transaction() as transaction:
        assert await leases.holds(lease, transaction)
        assert await leases.claim("totals", 1, "w2", 10, 1) == []  # the row is locked: skipped
    (taken,) = await leases.claim("totals", 1, "w2", 10, 1)
    assert taken.token == lease.token + 1


async def test_a_check_waiting_for_a_takeover_sees_it(
    stores: tuple[PostgresPartitionLeaseStore, PostgresCheckpointStore], postgres_dsn: str
) -> None:
    import asyncpg

    leases, checkpoints = stores
    (lease,) = await leases.claim("totals", 1, "w1", 0.2, 1)
    await asyncio.sleep(0.4)
    table = f'"{leases.config.leases_table}"'
    connection = await asyncpg.connect(postgres_dsn)
    try:
        claimer = connection.transaction()
        await claimer.start()
        # a takeover in progress, as claim() does it: the row is locked FOR UPDATE, then changed
        assert await connection.fetch(f"SELECT partition FROM {table} FOR UPDATE SKIP LOCKED") == [(0,)]
        await connection.execute(
            f"UPDATE {table} SET owner = 'w2', token = token + 1, expires_at = now() + interval '10 s'"
        )

        async def check() -> bool:
            async with checkpoints.transaction() as transaction:
                return await leases.holds(lease, transaction)

        checking = asyncio.create_task(check())
        await asyncio.sleep(0.2)
        assert not checking.done()  # waits for the takeover to end
        await claimer.commit()
        assert await checking is False
    finally:
        await connection.close()


async def test_renewing_is_not_held_up_by_a_transaction_checking_the_lease(
    stores: tuple[PostgresPartitionLeaseStore, PostgresCheckpointStore],
) -> None:
    leases, checkpoints = stores
    held = await leases.claim("totals", 1, "w1", 10, 1)
    async with checkpoints.transaction() as transaction:
        assert await leases.holds(held[0], transaction)
        async with asyncio.timeout(2):
            assert [lease.token for lease in await leases.renew(held, 10)] == [held[0].token]


async def test_the_tables_have_their_own_idempotent_migrations(pg_config: ConfigFactory) -> None:
    config = lease_config(pg_config)
    store = PostgresPartitionLeaseStore(config)
    assert await store.migrate() == [1]
    assert await store.migrate() == []
    again = PostgresPartitionLeaseStore(config)
    await again.connect()
    await again.close()
    await store.close()


def test_a_leases_table_name_too_long_is_refused(postgres_dsn: str) -> None:
    with pytest.raises(ConfigurationError, match="leases_table"):
        PostgresPartitionLeaseStore(PostgresEventStoreConfig(dsn=postgres_dsn, leases_table="l" * 50))


def test_the_config_must_be_a_postgres_config() -> None:
    with pytest.raises(ConfigurationError):
        PostgresPartitionLeaseStore("postgresql://nowhere")  # type: ignore[arg-type]
