"""An application on SQLite: ``EventsModule`` builds, connects and closes the SQLite stores.

The event class has a name no other test module uses: a durable store rebuilds events by type
name, and the global registry keeps the last class defined with a name.
"""

from __future__ import annotations

import sqlite3
from pathlib import Path

from lexigram import Application
from lexigram.contracts.events import CommandBusProtocol, EventStoreProtocol, SnapshotStoreProtocol
from lexigram.di.module import Module, module
from lexigram.events import (
    AggregateRoot,
    Command,
    DomainEvent,
    EventsConfig,
    EventsModule,
    RepositoryFactory,
    SqliteConfig,
    SqliteEventStore,
    SqliteSnapshotStore,
)
from lexigram.events.types import EventStoreBackend


class TillCashDeposited(DomainEvent):
    account_id: str
    cents: int


class Deposit(Command):
    account_id: str
    cents: int


class Account(AggregateRoot):
    balance: int = 0

    def deposit(self, cents: int) -> None:
        self._apply(TillCashDeposited(account_id=str(self.id), cents=cents))

    def _handle_till_cash_deposited(self, event: TillCashDeposited) -> None:
        self.balance += event.cents


class DepositHandler:
    def __init__(self, repositories: RepositoryFactory) -> None:
        self.accounts = repositories.for_aggregate(Account)

    async def handle(self, command: Deposit) -> int:
        account = await self.accounts.get(command.account_id) or Account(command.account_id)
        account.deposit(command.cents)
        await self.accounts.save(account)
        return account.balance


def bank(database: Path) -> type[Module]:
    config = EventsConfig(
        event_store_backend=EventStoreBackend.SQLITE,
        sqlite=SqliteConfig(database=str(database)),
        snapshots={"event_count_threshold": 3, "max_snapshots_per_aggregate": 2},
    )

    @module(imports=[EventsModule.configure(config), EventsModule.scope(DepositHandler)])
    class BankModule(Module):
        pass

    return BankModule


async def test_an_app_runs_on_sqlite_and_its_data_outlives_the_app(tmp_path: Path) -> None:
    database = tmp_path / "bank.db"
    async with Application.boot(name="bank", modules=[bank(database)]) as app:
        store = await app.container.resolve(EventStoreProtocol)
        snapshots = await app.container.resolve(SnapshotStoreProtocol)
        assert isinstance(store, SqliteEventStore)
        assert isinstance(snapshots, SqliteSnapshotStore)
        assert snapshots.max_snapshots_per_aggregate == 2
        with sqlite3.connect(database) as connection:  # connected (and the tables created) at boot
            names = {row[0] for row in connection.execute("SELECT name FROM sqlite_master")}
        assert {"events", "events_streams", "snapshots"} <= names
        commands = await app.container.resolve(CommandBusProtocol)
        for cents in (100, 250, 50, 5, 1, 9, 10):
            balance = await commands.dispatch(Deposit(account_id="acc-1", cents=cents))
        assert balance == 425
    assert store._db._connection is None  # closed at shutdown
    assert snapshots._db._connection is None

    async with Application.boot(name="bank", modules=[bank(database)]) as app:
        commands = await app.container.resolve(CommandBusProtocol)
        assert await commands.dispatch(Deposit(account_id="acc-1", cents=75)) == 500
        assert await commands.dispatch(Deposit(account_id="acc-1", cents=25)) == 525  # version 9
        snapshots = await app.container.resolve(SnapshotStoreProtocol)
        kept = [v for v in (3, 6, 9) if await snapshots.get_by_version("acc-1", v) is not None]
        assert kept == [6, 9]  # a snapshot every 3 events, the newest 2 kept
        assert await snapshots.load("acc-1") == ({"id": "acc-1", "balance": 525}, 9)
