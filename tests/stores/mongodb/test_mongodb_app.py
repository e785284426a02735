"""An application whose events config selects MongoDB: stores wired, indexed, closed, and durable."""

from __future__ import annotations

from collections.abc import AsyncIterator

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
    MongoDBEventStore,
    MongoDBEventStoreConfig,
    MongoDBSnapshotStore,
    RepositoryFactory,
)
from lexigram.events.stores.mongodb import MongoDBDocumentStore


class SeatReserved(DomainEvent):
    flight_id: str
    seat: str


class ReserveSeat(Command):
    flight_id: str
    seat: str


class Flight(AggregateRoot):
    seats: list[str] = []

    def reserve(self, seat: str) -> None:
        self._apply(SeatReserved(flight_id=str(self.id), seat=seat))

    def _handle_seat_reserved(self, event: SeatReserved) -> None:
        self.seats = [*self.seats, event.seat]


class ReserveSeatHandler:
    def __init__(self, repositories: RepositoryFactory) -> None:
        self.flights = repositories.for_aggregate(Flight)

    async def handle(self, command: ReserveSeat) -> list[str]:
        flight = await self.flights.get(command.flight_id) or Flight(command.flight_id)
        flight.reserve(command.seat)
        await self.flights.save(flight)
        return flight.seats


def airline(events: DynamicModule) -> type[Module]:
    @module(imports=[events, EventsModule.scope(ReserveSeatHandler)])
    class Airline(Module):
        pass

    return Airline


@pytest.fixture
async def inspector(mongo_uri: str, database: str) -> AsyncIterator[MongoDBDocumentStore]:
    """A separate client to look at what the app wrote; drops the test database afterwards."""
    store = MongoDBDocumentStore(mongo_uri, database)
    yield store
    await store.client.drop_database(database)
    await store.close()


async def test_an_airline_on_mongodb_keeps_its_flights_across_restarts(
    mongo_uri: str, database: str, inspector: MongoDBDocumentStore
) -> None:
    config = EventsConfig(
        event_store_backend=EventStoreBackend.MONGODB,
        mongodb=MongoDBEventStoreConfig(
            connection_string=mongo_uri, database=database, snapshots_collection="flight_snapshots"
        ),
        snapshots={"event_count_threshold": 2, "max_snapshots_per_aggregate": 1},
    )

    async with Application.boot(name="airline", modules=[airline(EventsModule.configure(config))]) as app:
        commands = await app.container.resolve(CommandBusProtocol)
        for seat in ("1A", "1B", "2A", "2B"):
            seats = await commands.dispatch(ReserveSeat(flight_id="AF-1", seat=seat))
        event_store = await app.container.resolve(EventStoreProtocol)
        snapshot_store = await app.container.resolve(SnapshotStoreProtocol)
        assert isinstance(event_store, MongoDBEventStore)
        assert isinstance(snapshot_store, MongoDBSnapshotStore)
        assert seats == ["1A", "1B", "2A", "2B"]
    owned = event_store.document_store
    assert isinstance(owned, MongoDBDocumentStore)
    assert owned._client is None  # the app closed the client at shutdown
    assert await inspector.count("flight_snapshots", {}) == 1  # max_snapshots_per_aggregate took effect
    assert await inspector.count("events", {}) == 4

    section = {
        "event_store_backend": "mongodb",
        "mongodb": {"connection_string": mongo_uri, "database": database},
    }
    async with Application.boot(name="airline", modules=[airline(EventsModule.configure(section))]) as app:
        commands = await app.container.resolve(CommandBusProtocol)
        assert await commands.dispatch(ReserveSeat(flight_id="AF-1", seat="3C")) == [
            "1A",
            "1B",
            "2A",
            "2B",
            "3C",
        ]


async def test_a_mongodb_backend_without_a_connection_string_fails_the_boot() -> None:
    config = EventsConfig(event_store_backend=EventStoreBackend.MONGODB, mongodb=MongoDBEventStoreConfig())
    with pytest.raises(ConfigurationError, match=r"mongodb.connection_string is not set"):
        async with Application.boot(name="airline", modules=[airline(EventsModule.configure(config))]):
            pytest.fail("the body must not run")


def test_the_mongodb_section_checks_its_collections() -> None:
    section = MongoDBEventStoreConfig(
        connection_string="mongodb://app:hunter2@db:27017", streams_collection="s"
    )
    assert section.streams_collection == "s"
    assert "hunter2" not in repr(section)
    for bad in ("", "system.events", "ev$ents"):
        with pytest.raises(ConfigurationError, match="collection name"):
            MongoDBEventStoreConfig(events_collection=bad)
