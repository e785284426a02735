"""``PostgresSagaStore``: saga instances in PostgreSQL, usually on the event store's pool.

Every save is one ``UPDATE ... WHERE saga_id = $1 AND version = $15``: of two processes saving
the same version, exactly one wins and the other gets ``SagaConcurrencyError``.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from lexigram.contracts.exceptions import ConfigurationError
from lexigram.contracts.workflow.records import SagaRecord
from lexigram.events.config import PostgresEventStoreConfig
from lexigram.events.exceptions import SagaConcurrencyError, SagaNotFoundError, SagaStoreError
from lexigram.events.sagas.rows import (
    COLUMNS,
    INCOMPLETE_STATES,
    checked_key,
    checked_record,
    checked_saga_id,
    checked_version,
    record_from_values,
    record_values,
    saga_store_failures,
)
from lexigram.events.stores.postgres.driver import status_count
from lexigram.events.stores.postgres.link import StoreLink, pool_for
from lexigram.events.stores.postgres.migrator import Migrator
from lexigram.events.stores.postgres.reporting_store import ReportingLinkedStore
from lexigram.events.stores.postgres.saga_schema import SAGA_MIGRATIONS, SagaTables

if TYPE_CHECKING:
    from lexigram.contracts.workflow.stores import SagaStoreProtocol

__all__ = ["PostgresSagaStore"]

_SELECT = ", ".join(COLUMNS)


def _same(moment: Any) -> Any:
    return moment


def _record(row: Any) -> SagaRecord:
    return record_from_values(tuple(row), _same)


class PostgresSagaStore(ReportingLinkedStore):
    """Saga instances in PostgreSQL; ``SqlSagaStore(PostgresEventStoreConfig(...))`` builds one.

    ``provider`` works as for the other PostgreSQL stores: None opens the store's own pool from
    ``config``, a ``PostgresPool`` is shared (``provider=event_store.pool``), an ``asyncpg.Pool`` is
    borrowed. With ``auto_create_tables`` (the default), ``connect()`` or the first operation
    creates or upgrades ``sagas_table``.
    """

    failure_type = SagaStoreError

    def __init__(self, config: PostgresEventStoreConfig | None = None, provider: Any = None) -> None:
        if config is not None and not isinstance(config, PostgresEventStoreConfig):
            raise ConfigurationError(
                f"config must be a PostgresEventStoreConfig, got {type(config).__name__}"
            )
        self.config = config if config is not None else PostgresEventStoreConfig()
        self.tables = SagaTables.named(self.config.sagas_table)
        pool = pool_for(self.config, provider)
        self._link = StoreLink(
            "PostgresSagaStore",
            self.config,
            pool,
            Migrator(pool.driver, SAGA_MIGRATIONS, self.tables.names, self.tables.migrations),
        )
        table = self.tables.sagas
        placeholders = ", ".join(f"${n}" for n in range(1, len(COLUMNS) + 1))
        self._insert = f"INSERT INTO {table} ({_SELECT}) VALUES ({placeholders}) ON CONFLICT DO NOTHING"
        self._update = (
            f"UPDATE {table} SET status = $3, version = $4, data = $6, steps = $7, error = $8, "
            "timed_out = $9, owner = $10, lease_expires_at = $11, deadline = $12, created_at = $13, "
            "updated_at = $14 WHERE saga_id = $1 AND version = $15 AND saga_type = $2 "
            "AND correlation_key IS NOT DISTINCT FROM $5"
        )
        self._get = f"SELECT {_SELECT} FROM {table} WHERE saga_id = $1"
        self._find = f"SELECT {_SELECT} FROM {table} WHERE saga_type = $1 AND correlation_key = $2"
        self._incomplete = (
            f"SELECT {_SELECT} FROM {table} WHERE status = ANY($1::text[]) "
            'ORDER BY created_at, saga_id COLLATE "C"'
        )
        self._delete = f"DELETE FROM {table} WHERE saga_id = $1"

    # --- instances -----------------------------------------------------------------------------

    async def create(self, record: SagaRecord) -> SagaRecord:
        """Store a new instance as version 1 and return it."""
        checked = checked_record(record).evolve(version=1)
        values = record_values(checked, _same)
        action = f"create saga '{checked.saga_id}'"
        async with saga_store_failures(), self._link.connection(action, writing=True) as connection:
            if status_count(await connection.execute(self._insert, *values)) == 1:
                return checked
            taken_by = checked.saga_id
            if await connection.fetchrow(self._get, checked.saga_id) is None and checked.correlation_key:
                row = await connection.fetchrow(self._find, checked.saga_type, checked.correlation_key)
                taken_by = checked.saga_id if row is None else str(row[0])
        if taken_by == checked.saga_id:
            raise SagaConcurrencyError(
                checked.saga_id, f"a saga with the id '{checked.saga_id}' exists already; choose another id"
            )
        raise SagaConcurrencyError(
            checked.saga_id,
            f"the {checked.saga_type} saga '{taken_by}' has the correlation key "
            f"'{checked.correlation_key}' already; load it with find() instead of creating another",
        )

    async def save(self, record: SagaRecord, expected_version: int) -> SagaRecord:
        """Replace the instance if it is still at ``expected_version``; return it at the next version."""
        checked = checked_record(record)
        expected = checked_version(expected_version)
        saved = checked.evolve(version=expected + 1)
        values = record_values(saved, _same)
        action = f"save saga '{checked.saga_id}'"
        async with saga_store_failures(), self._link.connection(action, writing=True) as connection:
            if status_count(await connection.execute(self._update, *values, expected)) == 1:
                return saved
            row = await connection.fetchrow(self._get, checked.saga_id)
        if row is None:
            raise SagaNotFoundError(f"no saga has the id '{checked.saga_id}'; create() it first")
        if (row[1], row[4]) != (checked.saga_type, checked.correlation_key):
            raise SagaConcurrencyError(
                checked.saga_id,
                f"saga '{checked.saga_id}' cannot change its saga type or correlation key once created",
            )
        raise SagaConcurrencyError(
            checked.saga_id,
            f"saga '{checked.saga_id}' is at version {row[3]}, not {expected}: another manager saved it "
            "since it was read; reload it",
            expected,
            int(row[3]),
        )

    async def get(self, saga_id: str) -> SagaRecord | None:
        """The instance with this id, or None."""
        key = checked_saga_id(saga_id)
        async with (
            saga_store_failures(),
            self._link.connection(f"load saga '{key}'", writing=False) as connection,
        ):
            row = await connection.fetchrow(self._get, key)
        return None if row is None else _record(row)

    async def find(self, saga_type: str, correlation_key: str) -> SagaRecord | None:
        """The instance of ``saga_type`` with this correlation key, or None."""
        kind, key = checked_key(saga_type, correlation_key)
        action = f"find the {kind} saga correlated by '{key}'"
        async with saga_store_failures(), self._link.connection(action, writing=False) as connection:
            row = await connection.fetchrow(self._find, kind, key)
        return None if row is None else _record(row)

    async def list_incomplete(self) -> list[SagaRecord]:
        """Every instance not in a final state, oldest first."""
        states = [state.value for state in INCOMPLETE_STATES]
        async with (
            saga_store_failures(),
            self._link.connection("list incomplete sagas", writing=False) as connection,
        ):
            rows = await connection.fetch(self._incomplete, states)
        return [_record(row) for row in rows]

    async def delete(self, saga_id: str) -> bool:
        """Forget an instance; True when it existed."""
        key = checked_saga_id(saga_id)
        async with (
            saga_store_failures(),
            self._link.connection(f"delete saga '{key}'", writing=True) as connection,
        ):
            return status_count(await connection.execute(self._delete, key)) > 0


if TYPE_CHECKING:

    def _satisfies_the_protocol(store: PostgresSagaStore) -> SagaStoreProtocol:
        return store
