"""Projections in an application: registered with ``EventsModule.projections``, started at boot,
stopped at shutdown, their checkpoints kept in the application's SQLite file across restarts."""

from __future__ import annotations

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
