"""Projections in an application: registered with ``EventsModule.projections``, started at boot,
stopped at shutdown, their checkpoints kept in the application's SQLite file across restarts."""

from __future__ import annotations

import asyncio
from pathlib import Path
from typing import Any

from lexigram import Application
from lexigram.contracts.events import EventStoreProtocol
from lexigram.di.module import Module, module
from lexigram.events import (
    DomainEvent,
    EventsConfig,
    EventsModule,
    ProjectionManager,
    ProjectionsConfig,
    SqliteConfig,
)
from lexigram.events.types import EventStoreBackend, ProjectionState


class LoyaltyPointsEarned(DomainEvent):
    member_id: str
    points: int


class Ledger:
    """Where the projection's rows go (a provider the container injects)."""

    def __init__(self) -> None:
        self.points: dict[str, int] = {}
        self.applied = 0


class PointsBalance:
    """A projection class built by the container: its constructor's parameters are injected.

    Its read model lives in process memory, so it replays the log at every start.
    """

    replay_on_start = True

    def __init__(self, ledger: Ledger) -> None:
        self.ledger = ledger

    def apply(self, event: LoyaltyPointsEarned) -> None:
        self.ledger.points[event.member_id] = self.ledger.points.get(event.member_id, 0) + event.points
        self.ledger.applied += 1


class PointsTable:
    """A SQL projection in the application's SQLite file, committed with its checkpoint."""

    async def apply(self, event: LoyaltyPointsEarned, session: Any) -> None:
        await session.execute("CREATE TABLE IF NOT EXISTS points (member_id TEXT, points INTEGER)")
        await session.execute("INSERT INTO points VALUES (?, ?)", event.member_id, event.points)


def loyalty(database: Path) -> type[Module]:
    config = EventsConfig(
        event_store_backend=EventStoreBackend.SQLITE,
        sqlite=SqliteConfig(database=str(database)),
        projections=ProjectionsConfig(poll_interval=0.05),
    )

    @module(
        imports=[EventsModule.configure(config), EventsModule.projections(PointsBalance, PointsTable)],
        providers=[Ledger],
    )
    class LoyaltyModule(Module):
        """Loyalty points."""

    return LoyaltyModule


async def test_projections_start_with_the_app_and_resume_after_a_restart(tmp_path: Path) -> None:
    database = tmp_path / "loyalty.db"
    async with Application.boot(name="loyalty", modules=[loyalty(database)]) as app:
        store: Any = await app.container.resolve(EventStoreProtocol)
        manager = await app.container.resolve(ProjectionManager)
        assert manager.names == ["PointsBalance", "PointsTable"]
        await store.append("m-1", [LoyaltyPointsEarned(member_id="m-1", points=10)])
        await store.append("m-2", [LoyaltyPointsEarned(member_id="m-2", points=5)])
        await manager.wait_for_position(2)
        ledger = await app.container.resolve(Ledger)
        assert ledger.points == {"m-1": 10, "m-2": 5}
        assert (await manager.get_status("PointsTable"))["state"] is ProjectionState.LIVE

    async with Application.boot(name="loyalty", modules=[loyalty(database)]) as app:
        store = await app.container.resolve(EventStoreProtocol)
        manager = await app.container.resolve(ProjectionManager)
        await store.append("m-1", [LoyaltyPointsEarned(member_id="m-1", points=1)])
        await manager.wait_for_position(3)
        ledger = await app.container.resolve(Ledger)
        assert ledger.points == {"m-1": 11, "m-2": 5}  # the in-memory read model replayed everything
        checkpoints = manager.checkpoint_store
        async with checkpoints.transaction() as transaction:
            assert transaction.session is not None
            rows = await transaction.session.fetch("SELECT member_id, points FROM points ORDER BY rowid")
        assert rows == [("m-1", 10), ("m-2", 5), ("m-1", 1)]  # the SQL one resumed from its checkpoint


class PointsByPartition:
    """A partitioned projection: the class attribute is all an application needs."""

    partitions = 4
    seen: list[str] = []

    def apply(self, event: LoyaltyPointsEarned) -> None:
        PointsByPartition.seen.append(event.member_id)


async def test_a_partitioned_projection_class_joins_a_consumer_group(tmp_path: Path) -> None:
    config = EventsConfig(
        event_store_backend=EventStoreBackend.SQLITE,
        sqlite=SqliteConfig(database=str(tmp_path / "group.db")),
        projections=ProjectionsConfig(poll_interval=0.05, worker_id="worker-a", lease_ttl=2.0),
    )

    @module(imports=[EventsModule.configure(config), EventsModule.projections(PointsByPartition)])
    class GroupModule(Module):
        """One partitioned projection."""

    PointsByPartition.seen = []
    async with Application.boot(name="group", modules=[GroupModule]) as app:
        store: Any = await app.container.resolve(EventStoreProtocol)
        manager = await app.container.resolve(ProjectionManager)
        members = [f"m-{n}" for n in range(12)]
        for member in members:
            await store.append(member, [LoyaltyPointsEarned(member_id=member, points=1)])
        status = await manager.get_status("PointsByPartition")
        assert status["partitions"] == 4
        assert status["worker_id"] == "worker-a"
        for _ in range(200):
            if sorted(PointsByPartition.seen) == sorted(members):
                break
            await asyncio.sleep(0.02)
        assert sorted(PointsByPartition.seen) == sorted(members)
        status = await manager.get_status("PointsByPartition")
        assert sorted(status["owned_partitions"]) == [0, 1, 2, 3]
