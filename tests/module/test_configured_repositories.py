"""Repositories built by the app follow its snapshot settings."""

from __future__ import annotations

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
    SnapshotManager,
)


class Counted(DomainEvent):
    counter_id: str


class Count(Command):
    counter_id: str


class Counter(AggregateRoot):
    total: int = 0

    def count(self) -> None:
        self._apply(Counted(counter_id=str(self.id)))

    def _handle_counted(self, event: Counted) -> None:
        self.total += 1


class CountHandler:
    def __init__(self, repositories: RepositoryFactory) -> None:
        self.counters = repositories.for_aggregate(Counter)

    async def handle(self, command: Count) -> int:
        counter = await self.counters.get(command.counter_id) or Counter(command.counter_id)
        counter.count()
        await self.counters.save(counter)
        return counter.total


def _app_module(snapshots: dict[str, object]) -> type[Module]:
    @module(
        imports=[
            EventsModule.configure(EventsConfig.from_dict({"snapshots": snapshots})),
            EventsModule.scope(CountHandler),
        ]
    )
    class CounterModule(Module):
        pass

    return CounterModule


async def test_the_configured_event_count_triggers_snapshots() -> None:
    async with Application.boot(name="counters", modules=[_app_module({"event_count_threshold": 3})]) as app:
        commands = await app.container.resolve(CommandBusProtocol)
        for _ in range(7):
            await commands.dispatch(Count(counter_id="c-1"))
        snapshots = await app.container.resolve(SnapshotStoreProtocol)
        latest = await snapshots.get_latest("c-1")
        assert latest is not None
        assert latest.version == 6
        factory = await app.container.resolve(RepositoryFactory)
        assert factory.for_aggregate(Counter) is factory.for_aggregate(Counter)
        assert (await factory.for_aggregate(Counter).get_or_raise("c-1")).total == 7


async def test_disabled_snapshots_are_never_taken_automatically() -> None:
    async with Application.boot(name="counters", modules=[_app_module({"enabled": False})]) as app:
        commands = await app.container.resolve(CommandBusProtocol)
        for _ in range(150):
            await commands.dispatch(Count(counter_id="c-1"))
        snapshots = await app.container.resolve(SnapshotStoreProtocol)
        assert await snapshots.get_latest("c-1") is None


async def test_the_app_snapshot_manager_uses_the_app_stores_and_config() -> None:
    async with Application.boot(name="counters", modules=[_app_module({"event_count_threshold": 2})]) as app:
        manager = await app.container.resolve(SnapshotManager)
        store = await app.container.resolve(EventStoreProtocol)
        assert manager.event_store is store
        taken = await manager.save_and_maybe_snapshot(
            "s-1", "Counter", [Counted(counter_id="s-1")] * 1, {}, 0
        )
        assert taken is False
        taken = await manager.save_and_maybe_snapshot(
            "s-1", "Counter", [Counted(counter_id="s-1")], {"n": 2}, 1
        )
        assert taken is True
