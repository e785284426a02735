"""Sagas in an application: the ``SagaManager`` in the container, its store in the app's SQLite file,
contributed sagas registered at boot, events from the bus routed to them, unfinished sagas resumed.

``EventsModule.configure`` runs the saga part; ``EventsModule.sagas(...)`` contributes the sagas.
"""

from __future__ import annotations

import asyncio
from pathlib import Path
from typing import Any

import pytest

from lexigram import Application
from lexigram.contracts.events import EventBusProtocol
from lexigram.contracts.workflow.records import SagaRecord, SagaState, SagaStepRecord
from lexigram.di.module import Module, module
from lexigram.events import Command, DomainEvent, EventsConfig, EventsModule, SqliteConfig
from lexigram.events.sagas import (
    EventDrivenSaga,
    SagaBase,
    SagaContext,
    SagaManager,
    SqlSagaStore,
    saga_handler,
    saga_step,
)
from lexigram.events.types import EventStoreBackend


class TicketSold(DomainEvent):
    ticket_id: str


class PrintTicket(Command):
    ticket_id: str


class Printer:
    """The command handler's side: every ticket printed."""

    printed: list[str] = []

    async def handle(self, command: PrintTicket) -> None:
        Printer.printed.append(command.ticket_id)


class Printing(EventDrivenSaga):
    correlate_by = "ticket_id"

    @saga_handler(TicketSold, starts=True)
    async def sold(self, event: TicketSold, ctx: SagaContext) -> PrintTicket:
        ctx.complete()
        return PrintTicket(ticket_id=event.ticket_id)


class Refund(SagaBase):
    @saga_step
    async def reprint(self, ctx: SagaContext) -> None:
        await ctx.dispatch(PrintTicket(ticket_id=f"{ctx.data['ticket_id']}-refund"))


def box_office(database: Path) -> type[Module]:
    config = EventsConfig(
        event_store_backend=EventStoreBackend.SQLITE, sqlite=SqliteConfig(database=str(database))
    )

    @module(
        imports=[
            EventsModule.configure(config),
            EventsModule.scope(Printer),
            EventsModule.sagas(Printing, Refund),
        ]
    )
    class BoxOffice(Module):
        """Tickets."""

    return BoxOffice


async def test_sagas_run_with_the_app_and_unfinished_ones_resume_at_boot(tmp_path: Path) -> None:
    database = tmp_path / "box_office.db"
    Printer.printed = []
    # An earlier run died in the middle of a Refund: its claim has expired.
    earlier = SqlSagaStore(SqliteConfig(database=str(database)))
    await earlier.create(
        SagaRecord(
            saga_id="refund-1",
            saga_type="Refund",
            status=SagaState.RUNNING,
            data={"ticket_id": "t-0"},
            steps=(SagaStepRecord("reprint"),),
            owner="a-dead-process",
        )
    )
    await earlier.close()

    async with Application.boot(name="box-office", modules=[box_office(database)]) as app:
        manager = await app.container.resolve(SagaManager)
        assert sorted(manager.names) == ["Printing", "Refund"]
        for _ in range(100):
            if (await manager.get("refund-1")).status is SagaState.COMPLETED:
                break
            await asyncio.sleep(0.02)
        assert (await manager.get("refund-1")).status is SagaState.COMPLETED

        bus: Any = await app.container.resolve(EventBusProtocol)
        await bus.publish(TicketSold(ticket_id="t-1"))
        await bus.flush()
        saga_id = await manager.start("Refund", data={"ticket_id": "t-2"})
        assert (await manager.get(saga_id)).status is SagaState.COMPLETED
        assert Printer.printed == ["t-0-refund", "t-1", "t-2-refund"]
        assert isinstance(manager.store, SqlSagaStore)
        printing = await manager.store.find("Printing", "t-1")
        assert printing.status is SagaState.COMPLETED

    async with Application.boot(name="box-office", modules=[box_office(database)]) as app:
        manager = await app.container.resolve(SagaManager)
        assert (await manager.get(saga_id)).status is SagaState.COMPLETED  # kept in the app's file
        assert manager.health()["store"] == "SqlSagaStore"


class SeatMap:
    """An application service the container builds; saga steps reach it through ``ctx.services``."""

    def __init__(self) -> None:
        self.held: list[str] = []

    async def hold(self, seat: str) -> None:
        self.held.append(seat)


class HoldSeat(SagaBase):
    @saga_step
    async def hold(self, ctx: SagaContext) -> None:
        await ctx.services.seats.hold(ctx.data["seat"])


async def test_saga_steps_get_the_services_the_module_names(tmp_path: Path) -> None:
    config = EventsConfig(
        event_store_backend=EventStoreBackend.SQLITE, sqlite=SqliteConfig(database=str(tmp_path / "s.db"))
    )

    @module(
        imports=[EventsModule.configure(config), EventsModule.sagas(HoldSeat, services={"seats": SeatMap})],
        providers=[SeatMap],
    )
    class Venue(Module):
        """Seats."""

    async with Application.boot(name="venue", modules=[Venue]) as app:
        manager = await app.container.resolve(SagaManager)
        saga_id = await manager.start(HoldSeat, data={"seat": "A12"})
        assert (await manager.get(saga_id)).status is SagaState.COMPLETED
        assert (await app.container.resolve(SeatMap)).held == ["A12"]


def test_saga_services_must_be_named_classes() -> None:
    with pytest.raises(TypeError, match="identifier"):
        EventsModule.sagas(HoldSeat, services={"two words": SeatMap})
    with pytest.raises(TypeError, match="must be a class"):
        EventsModule.sagas(HoldSeat, services={"seats": SeatMap()})  # type: ignore[dict-item]


async def test_a_saga_abandoned_after_boot_is_resumed_once_its_claim_expires(tmp_path: Path) -> None:
    database = tmp_path / "venue.db"
    config = EventsConfig(
        event_store_backend=EventStoreBackend.SQLITE,
        sqlite=SqliteConfig(database=str(database)),
        sagas={"claim_ttl": 5.0, "resume_interval": 0.05},
    )

    @module(
        imports=[EventsModule.configure(config), EventsModule.sagas(HoldSeat, services={"seats": SeatMap})],
        providers=[SeatMap],
    )
    class Venue(Module):
        """Seats."""

    async with Application.boot(name="venue", modules=[Venue]) as app:
        manager = await app.container.resolve(SagaManager)
        # another process started this saga after our boot, and died: its claim has expired
        other = SqlSagaStore(SqliteConfig(database=str(database)))
        await other.create(
            SagaRecord(
                saga_id="hold-b7",
                saga_type="HoldSeat",
                status=SagaState.RUNNING,
                data={"seat": "B7"},
                steps=(SagaStepRecord("hold"),),
                owner="a-process-that-died",
            )
        )
        await other.close()
        for _ in range(200):
            if (await manager.get("hold-b7")).status is SagaState.COMPLETED:
                break
            await asyncio.sleep(0.02)
        assert (await manager.get("hold-b7")).status is SagaState.COMPLETED
        assert (await app.container.resolve(SeatMap)).held == ["B7"]
