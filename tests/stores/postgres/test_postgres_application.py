"""An application configured for PostgreSQL keeps its events and snapshots there."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest

from lexigram import Application
from lexigram.contracts.events import CommandBusProtocol, EventStoreProtocol, SnapshotStoreProtocol
from lexigram.di.module import Module, module
from lexigram.events import (
    AggregateRoot,
    Command,
    DomainEvent,
    EventsConfig,
    EventsModule,
    EventStoreBackend,
    RepositoryFactory,
)
from lexigram.events.config import PostgresEventStoreConfig
from lexigram.events.exceptions import EventStoreConnectionError
from lexigram.events.stores.postgres import PostgresEventStore, PostgresSnapshotStore

ConfigFactory = Callable[..., PostgresEventStoreConfig]
"""Builds a config whose tables no other test uses (the ``pg_config`` fixture)."""


class PgLedgerCredited(DomainEvent):
    account_id: str
    amount: int


class PgCredit(Command):
    account_id: str
    amount: int


class Account(AggregateRoot):
    balance: int = 0

    def deposit(self, amount: int) -> None:
        self._apply(PgLedgerCredited(account_id=str(self.id), amount=amount))

    def _handle_pg_ledger_credited(self, event: PgLedgerCredited) -> None:
        self.balance += event.amount


class PgCreditHandler:
    def __init__(self, repositories: RepositoryFactory) -> None:
        self.accounts = repositories.for_aggregate(Account)

    async def handle(self, command: PgCredit) -> int:
        account = await self.accounts.get(command.account_id) or Account(command.account_id)
        account.deposit(command.amount)
        await self.accounts.save(account)
        return account.balance


def _bank(config: EventsConfig) -> type[Module]:
    @module(imports=[EventsModule.configure(config), EventsModule.scope(PgCreditHandler)])
    class Bank(Module):
        pass

    return Bank


async def test_an_app_on_postgres_connects_at_boot_and_closes_at_shutdown(
    pg_config: ConfigFactory, raw_connection: Any
) -> None:
    postgres = pg_config()
    config = EventsConfig(
        event_store_backend=EventStoreBackend.POSTGRES,
        postgres=postgres,
        snapshots={"event_count_threshold": 3, "max_snapshots_per_aggregate": 1},
    )
    async with Application.boot(name="bank", modules=[_bank(config)]) as app:
        for table in (postgres.events_table, postgres.snapshots_table):  # created at boot
            assert await raw_connection.fetchval("SELECT to_regclass($1)", f'"{table}"') is not None
        commands = await app.container.resolve(CommandBusProtocol)
        for amount in range(1, 8):
            balance = await commands.dispatch(PgCredit(account_id="acc-1", amount=amount))
        assert balance == 28

        events = await app.container.resolve(EventStoreProtocol)
        snapshots = await app.container.resolve(SnapshotStoreProtocol)
        assert isinstance(events, PostgresEventStore)
        assert isinstance(snapshots, PostgresSnapshotStore)
        assert snapshots.max_snapshots_per_aggregate == 1
        assert await events.get_stream_version("acc-1") == 7
        assert [s.version for s in [await snapshots.get_by_version("acc-1", v) for v in (3, 6)] if s] == [6]
        reloaded = await (await app.container.resolve(RepositoryFactory)).for_aggregate(Account).get("acc-1")
        assert reloaded.balance == 28

    with pytest.raises(EventStoreConnectionError, match="closed"):
        await events.read("acc-1")
    assert not events.pool.is_open
    stored = await raw_connection.fetchval(f'SELECT count(*) FROM "{postgres.events_table}"')
    assert stored == 7
