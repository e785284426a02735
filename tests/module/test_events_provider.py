"""EventsProvider drives the events subsystem's lifecycle, also without an Application."""

from __future__ import annotations

import asyncio

import pytest

from lexigram.contracts.events import CommandBusProtocol, EventBusProtocol, EventStoreProtocol
from lexigram.di import Container, LifecycleError, ProviderPriority, ResolutionError
from lexigram.events import (
    Command,
    DomainEvent,
    EventsConfig,
    EventsProvider,
    EventStoreBackend,
    InMemoryEventStore,
    InMemorySnapshotStore,
    command_handler,
    event_handler,
)
from lexigram.events.di import STORE_FACTORIES, StorePair


class Deposit(Command):
    account: str
    amount: int


class Deposited(DomainEvent):
    account: str
    amount: int


def test_the_provider_declares_its_config_key_and_boots_as_infrastructure() -> None:
    provider = EventsProvider()

    assert provider.config_key == "events"
    assert provider.priority == ProviderPriority.INFRASTRUCTURE
    assert provider.config == EventsConfig()
    assert (
        EventsProvider.from_config(EventsConfig(), handler_modules=["x"], other="ignored").config
        == EventsConfig()
    )


async def test_the_provider_runs_with_a_bare_container() -> None:
    @command_handler
    async def deposit(command: Deposit) -> int:
        return command.amount

    provider = EventsProvider({"event_bus": {"parallel_dispatch": False}})
    container = Container()
    await provider.register(container)
    await provider.boot(container)

    bus = await container.resolve(CommandBusProtocol)
    assert await bus.dispatch(Deposit(account="a-1", amount=5)) == 5
    assert (await provider.health_check())["status"] == "healthy"

    await provider.shutdown()
    await provider.shutdown()  # idempotent
    assert (await provider.health_check())["buses"]["event_bus"] == "closed"


async def test_the_config_can_be_set_until_the_provider_registers() -> None:
    provider = EventsProvider()
    provider.config = {"event_bus": {"max_concurrent_handlers": 2}}
    assert provider.config.event_bus.max_concurrent_handlers == 2

    provider.apply_app_config({"events": {"event_bus": {"max_concurrent_handlers": 9}}})
    assert provider.config.event_bus.max_concurrent_handlers == 2  # an explicit config wins

    container = Container()
    await provider.register(container)
    with pytest.raises(LifecycleError, match="cannot change"):
        provider.config = EventsConfig()
    with pytest.raises(LifecycleError, match="already registered"):
        await provider.register(container)
    await provider.shutdown()


async def test_booting_before_registering_is_refused() -> None:
    with pytest.raises(LifecycleError, match="register the EventsProvider"):
        await EventsProvider().boot(Container())


async def test_shutdown_drains_the_event_bus_before_the_stores_close(monkeypatch: pytest.MonkeyPatch) -> None:
    handled: list[int] = []
    seen_at_close: list[list[int]] = []

    class WatchedEventStore(InMemoryEventStore):
        async def close(self) -> None:
            seen_at_close.append(list(handled))
            await super().close()

    def watched_stores(config: EventsConfig) -> StorePair:
        return StorePair(WatchedEventStore(), InMemorySnapshotStore())

    monkeypatch.setitem(STORE_FACTORIES, EventStoreBackend.MEMORY, watched_stores)

    @event_handler
    async def record(event: Deposited) -> None:
        await asyncio.sleep(0)
        handled.append(event.amount)

    provider = EventsProvider()
    container = Container()
    await provider.register(container)
    await provider.boot(container)
    assert isinstance(await container.resolve(EventStoreProtocol), WatchedEventStore)
    bus = await container.resolve(EventBusProtocol)
    for amount in (1, 2, 3):
        await bus.publish(Deposited(account="a-1", amount=amount))

    await provider.shutdown()

    assert seen_at_close == [[1, 2, 3]]


async def test_a_provider_that_failed_to_boot_can_still_be_shut_down() -> None:
    class Unbuildable:
        def __init__(self, missing: Deposit) -> None: ...

        async def handle(self, event: Deposited) -> None: ...

    event_handler(Unbuildable)
    provider = EventsProvider()
    container = Container()
    await provider.register(container)

    with pytest.raises(ResolutionError, match="parameter 'missing'"):
        await provider.boot(container)

    await provider.shutdown()
    assert (await provider.health_check())["buses"]["event_bus"] == "closed"
