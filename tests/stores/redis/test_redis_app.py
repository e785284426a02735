"""An application whose events config selects Redis: stores wired, connected, closed, and durable."""

from __future__ import annotations

import pytest

from lexigram import Application
from lexigram.contracts.events import CommandBusProtocol, EventStoreProtocol, SnapshotStoreProtocol
from lexigram.di.module import DynamicModule, Module, module
from lexigram.events import (
    AggregateRoot,
    Command,
    ConfigurationError,
    DomainEvent,
    EventsConfig,
    EventsModule,
    EventStoreBackend,
    RedisEventStore,
    RedisEventStoreConfig,
    RedisSnapshotStore,
    RepositoryFactory,
)
from lexigram.events.stores.redis import RedisStateStore


class Deposited(DomainEvent):
    account_id: str
    amount: int


class Deposit(Command):
    account_id: str
    amount: int


class Account(AggregateRoot):
    balance: int = 0

    def deposit(self, amount: int) -> None:
        self._apply(Deposited(account_id=str(self.id), amount=amount))

    def _handle_deposited(self, event: Deposited) -> None:
        self.balance += event.amount


class DepositHandler:
    def __init__(self, repositories: RepositoryFactory) -> None:
        self.accounts = repositories.for_aggregate(Account)

    async def handle(self, command: Deposit) -> int:
        account = await self.accounts.get(command.account_id) or Account(command.account_id)
        account.deposit(command.amount)
        await self.accounts.save(account)
        return account.balance


def bank(events: DynamicModule) -> type[Module]:
    @module(imports=[events, EventsModule.scope(DepositHandler)])
    class Bank(Module):
        pass

    return Bank


async def test_a_bank_on_redis_keeps_its_accounts_across_restarts(redis_url: str, namespace: str) -> None:
    config = EventsConfig(
        event_store_backend=EventStoreBackend.REDIS,
        redis=RedisEventStoreConfig(url=redis_url, namespace=namespace),
        snapshots={"event_count_threshold": 2},
    )

    async with Application.boot(name="bank", modules=[bank(EventsModule.configure(config))]) as app:
        commands = await app.container.resolve(CommandBusProtocol)
        for amount in (10, 20, 30):
            balance = await commands.dispatch(Deposit(account_id="acc-1", amount=amount))
        event_store = await app.container.resolve(EventStoreProtocol)
        snapshot_store = await app.container.resolve(SnapshotStoreProtocol)
        assert isinstance(event_store, RedisEventStore)
        assert isinstance(snapshot_store, RedisSnapshotStore)
        assert balance == 60
        latest = await snapshot_store.get_latest("acc-1")
        assert latest is not None
        assert latest.version == 2
    state_store = event_store.state_store
    assert isinstance(state_store, RedisStateStore)
    assert state_store._client is None  # the app closed the connection at shutdown

    section = {"event_store_backend": "redis", "redis": {"url": redis_url, "namespace": namespace}}
    async with Application.boot(name="bank", modules=[bank(EventsModule.configure(section))]) as app:
        commands = await app.container.resolve(CommandBusProtocol)
        assert await commands.dispatch(Deposit(account_id="acc-1", amount=5)) == 65
        event_store = await app.container.resolve(EventStoreProtocol)
        assert [e.amount for e in await event_store.read("acc-1")] == [10, 20, 30, 5]


@pytest.mark.parametrize(
    ("config", "message"),
    [
        (EventsConfig(event_store_backend=EventStoreBackend.REDIS), "the 'redis' section is missing"),
        (
            EventsConfig(event_store_backend=EventStoreBackend.REDIS, redis=RedisEventStoreConfig()),
            "redis.url is not set",
        ),
    ],
)
async def test_a_redis_backend_without_a_url_fails_the_boot(config: EventsConfig, message: str) -> None:
    with pytest.raises(ConfigurationError, match=message):
        async with Application.boot(name="bank", modules=[bank(EventsModule.configure(config))]):
            pytest.fail("the body must not run")


def test_the_redis_section_keeps_its_url_secret_and_checks_it() -> None:
    config = EventsConfig.from_env(
        {
            "LEX_EVENTS__EVENT_STORE_BACKEND": "redis",
            "LEX_EVENTS__REDIS__URL": "redis://app:hunter2@cache:6379/0",
            "LEX_EVENTS__REDIS__NAMESPACE": "shop:events",
        }
    )
    assert config.redis is not None
    assert config.redis.namespace == "shop:events"
    assert "hunter2" not in repr(config)
    assert config.validate_backend_config() == []
    with pytest.raises(ConfigurationError, match="redis://"):
        RedisEventStoreConfig(url="http://cache:6379")
    with pytest.raises(ConfigurationError, match="namespace"):
        RedisEventStoreConfig(url="redis://cache:6379", namespace="")
