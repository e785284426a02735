"""An application with ``outbox_enabled``: what it stores is what it publishes, exactly once.

A command saves an aggregate through the repository; the repository leaves publishing to the
outbox relay, so each event reaches the event handlers once. Events stored while no relay runs
(the process died after committing) are published by the next boot.
"""

from __future__ import annotations

import asyncio
from pathlib import Path

from lexigram import Application
from lexigram.contracts.events import CommandBusProtocol, EventStoreProtocol
from lexigram.contracts.events.outbox import OutboxMessage, OutboxPublisherProtocol
from lexigram.di.module import Module, module
from lexigram.di.protocols import ContainerRegistrarProtocol
from lexigram.di.provider import Provider
from lexigram.events import (
    AggregateRoot,
    Command,
    DomainEvent,
    EventsConfig,
    EventsModule,
    RepositoryFactory,
    SqliteConfig,
    SqliteEventStore,
)
from lexigram.events.types import EventStoreBackend

RECEIVED: list[tuple[str, int]] = []


class MemberPointsCredited(DomainEvent):
    member_id: str
    points: int


class EarnPoints(Command):
    member_id: str
    points: int


class Member(AggregateRoot):
    points: int = 0

    def earn(self, points: int) -> None:
        self._apply(MemberPointsCredited(member_id=str(self.id), points=points))

    def _handle_member_points_credited(self, event: MemberPointsCredited) -> None:
        self.points += event.points


class EarnPointsHandler:
    def __init__(self, repositories: RepositoryFactory) -> None:
        self.members = repositories.for_aggregate(Member)

    async def handle(self, command: EarnPoints) -> int:
        member = await self.members.get(command.member_id) or Member(command.member_id)
        member.earn(command.points)
        await self.members.save(member)
        return member.points


class PointsEmail:
    async def handle(self, event: MemberPointsCredited) -> None:
        RECEIVED.append((event.member_id, event.points))


def loyalty(database: Path) -> type[Module]:
    config = EventsConfig(
        event_store_backend=EventStoreBackend.SQLITE,
        sqlite=SqliteConfig(database=str(database)),
        outbox_enabled=True,
        outbox_poll_interval=30.0,
    )

    @module(imports=[EventsModule.configure(config), EventsModule.scope(EarnPointsHandler, PointsEmail)])
    class LoyaltyModule(Module):
        pass

    return LoyaltyModule


async def wait_for(count: int) -> None:
    for _ in range(500):
        if len(RECEIVED) >= count:
            return
        await asyncio.sleep(0.01)


async def test_saved_events_are_published_once_by_the_relay(tmp_path: Path) -> None:
    RECEIVED.clear()
    async with Application.boot(name="loyalty", modules=[loyalty(tmp_path / "app.db")]) as app:
        store = await app.container.resolve(EventStoreProtocol)
        assert isinstance(store, SqliteEventStore)
        assert store.publishes_appended_events
        commands = await app.container.resolve(CommandBusProtocol)
        await commands.dispatch(EarnPoints(member_id="m-1", points=10))
        await commands.dispatch(EarnPoints(member_id="m-1", points=5))
        await wait_for(2)  # the relay wakes on the append, not after its 30 s poll
        health = await app.health_check()
        assert len(RECEIVED) == 2, health["EventsProvider"]["outbox"]
    assert RECEIVED == [("m-1", 10), ("m-1", 5)]


async def test_events_stored_while_no_relay_ran_are_published_at_the_next_boot(tmp_path: Path) -> None:
    RECEIVED.clear()
    database = tmp_path / "app.db"
    # a process committed these and died before any relay published them
    crashed = SqliteEventStore(SqliteConfig(database=str(database)), outbox=True)
    await crashed.append("Member-m-2", [MemberPointsCredited(member_id="m-2", points=3)])
    await crashed.close()
    async with Application.boot(name="loyalty", modules=[loyalty(database)]) as app:
        await wait_for(1)
        store = await app.container.resolve(EventStoreProtocol)
        assert isinstance(store, SqliteEventStore)
        assert await store.outbox.pending_count() == 0
    assert RECEIVED == [("m-2", 3)]


async def test_events_appended_just_before_shutdown_are_published_before_the_bus_drains(
    tmp_path: Path,
) -> None:
    RECEIVED.clear()
    async with Application.boot(name="loyalty", modules=[loyalty(tmp_path / "app.db")]) as app:
        store = await app.container.resolve(EventStoreProtocol)
        await store.append("Member-m-3", [MemberPointsCredited(member_id="m-3", points=1)])
    assert RECEIVED == [("m-3", 1)]


class BrokerAdapter:
    """An application's message broker adapter: the relay publishes to it instead of the bus."""

    def __init__(self) -> None:
        self.sent: list[int] = []

    async def publish(self, message: OutboxMessage) -> None:
        self.sent.append(message.event.points)

    async def flush(self) -> None:
        return None


class BrokerProvider(Provider):
    def __init__(self, adapter: BrokerAdapter) -> None:
        self.adapter = adapter

    async def register(self, container: ContainerRegistrarProtocol) -> None:
        container.register_instance(OutboxPublisherProtocol, self.adapter)


async def test_a_registered_publisher_replaces_the_event_bus(tmp_path: Path) -> None:
    RECEIVED.clear()
    adapter = BrokerAdapter()

    @module(imports=[loyalty(tmp_path / "app.db")], providers=[BrokerProvider(adapter)])
    class WithBroker(Module):
        pass

    async with Application.boot(name="loyalty", modules=[WithBroker]) as app:
        store = await app.container.resolve(EventStoreProtocol)
        await store.append("Member-m-4", [MemberPointsCredited(member_id="m-4", points=7)])
    assert adapter.sent == [7]
    assert RECEIVED == []  # the bus handlers were not the target
