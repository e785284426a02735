"""MongoDBEventStore on secantusdb (a MongoDB wire-compatible server): what users rely on beyond the suite."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from decimal import Decimal
from typing import Any

import pytest

from lexigram.contracts.documents import DocumentStoreProtocol, DocumentWatchProtocol, DuplicateDocumentError
from lexigram.contracts.messages import DomainEvent
from lexigram.events.exceptions import ConcurrencyError, EventPersistenceError
from lexigram.events.stores.mongodb import MongoDBConfig, MongoDBDocumentStore, MongoDBEventStore
from lexigram.events.testing.contract_support import collect


class ParcelBooked(DomainEvent):
    parcel_id: str
    weight: Decimal


class ParcelScanned(DomainEvent):
    parcel_id: str
    depot: str


class ParcelDelivered(DomainEvent):
    parcel_id: str


def booked(parcel: str = "p-1") -> ParcelBooked:
    return ParcelBooked(parcel_id=parcel, weight=Decimal("1.25"), aggregate_type="Parcel")


def scanned(parcel: str = "p-1", depot: str = "LYS") -> ParcelScanned:
    return ParcelScanned(parcel_id=parcel, depot=depot)


@pytest.fixture
async def second_client(mongo_uri: str, database: str) -> AsyncIterator[MongoDBDocumentStore]:
    """Another client on the same database, as a second process would have."""
    store = MongoDBDocumentStore(mongo_uri, database)
    yield store
    await store.close()


async def test_a_parcel_history_survives_a_new_client(
    mongo_event_store: MongoDBEventStore, second_client: MongoDBDocumentStore, mongo_config: MongoDBConfig
) -> None:
    history: list[DomainEvent] = [booked(), scanned(), scanned(depot="CDG"), ParcelDelivered(parcel_id="p-1")]
    await mongo_event_store.append("p-1", history, expected_version=0)

    reopened = MongoDBEventStore(second_client, mongo_config)
    stored = await reopened.read("p-1")

    assert [type(e) for e in stored] == [ParcelBooked, ParcelScanned, ParcelScanned, ParcelDelivered]
    assert [e.event_id for e in stored] == [e.event_id for e in history]
    assert [e.occurred_at for e in stored] == [e.occurred_at for e in history]
    assert stored[0].weight == Decimal("1.25")
    info = await reopened.get_stream_info("p-1")
    assert info is not None
    assert (info.version, info.event_count, info.aggregate_type) == (4, 4, "Parcel")


async def test_appenders_on_separate_clients_get_contiguous_versions_and_one_creator_wins(
    mongo_uri: str, database: str, mongo_event_store: MongoDBEventStore, mongo_config: MongoDBConfig
) -> None:
    """Five clients, as five processes: their transactions really conflict on the server."""
    clients = [MongoDBDocumentStore(mongo_uri, database) for _ in range(5)]
    stores = [MongoDBEventStore(client, mongo_config) for client in clients]
    try:
        versions = await asyncio.gather(
            *(stores[n % 5].append("hot", [scanned("hot", f"D{n}")]) for n in range(50))
        )
        creators = await asyncio.gather(
            *(stores[n % 5].append("new", [booked("new")], expected_version=0) for n in range(10)),
            return_exceptions=True,
        )
    finally:
        for client in clients:
            await client.close()

    assert sorted(versions) == list(range(1, 51))
    assert creators.count(1) == 1
    assert sum(isinstance(outcome, ConcurrencyError) for outcome in creators) == 9
    assert [e.sequence_number for e in await mongo_event_store.read_all()] == list(range(1, 52))


async def test_a_reader_never_sees_a_hole_while_writers_append(
    mongo_uri: str, database: str, mongo_event_store: MongoDBEventStore, mongo_config: MongoDBConfig
) -> None:
    clients = [MongoDBDocumentStore(mongo_uri, database) for _ in range(3)]
    writers = [MongoDBEventStore(client, mongo_config) for client in clients]
    done = False
    observed: list[list[int]] = []

    async def reader() -> None:
        while not done:
            observed.append([e.sequence_number for e in await collect(mongo_event_store.stream_all())])

    reading = asyncio.create_task(reader())
    try:
        await asyncio.gather(
            *(
                writers[n % 3].append(f"p-{n % 5}", [scanned(f"p-{n % 5}"), scanned(f"p-{n % 5}")])
                for n in range(30)
            )
        )
    finally:
        done = True
        await reading
        for client in clients:
            await client.close()

    assert observed
    assert all(positions == list(range(1, len(positions) + 1)) for positions in observed)
    assert len(await mongo_event_store.read_all()) == 60


async def test_conflicting_appends_write_nothing_and_use_up_no_position(
    mongo_event_store: MongoDBEventStore,
) -> None:
    await mongo_event_store.append("p-1", [booked()])
    with pytest.raises(ConcurrencyError):
        await mongo_event_store.append("p-1", [scanned(), scanned()], expected_version=0)
    await mongo_event_store.append("p-2", [booked("p-2")])

    assert [e.sequence_number for e in await mongo_event_store.read_all()] == [1, 2]
    assert await mongo_event_store.get_events_count() == 2


async def test_the_unique_index_refuses_a_second_event_at_a_version(
    mongo_event_store: MongoDBEventStore, document_store: MongoDBDocumentStore
) -> None:
    await mongo_event_store.append("p-1", [booked()])

    with pytest.raises(DuplicateDocumentError):
        await document_store.insert_many("events", [{"_id": 99, "stream_id": "p-1", "version": 1}])


async def test_deleting_a_stream_forgets_it_and_spares_the_others(
    mongo_event_store: MongoDBEventStore,
) -> None:
    await mongo_event_store.append("p-1", [booked(), scanned()])
    await mongo_event_store.append("p-2", [booked("p-2")])

    assert await mongo_event_store.delete_stream("p-1") == 2
    assert await mongo_event_store.delete_stream("p-1") == 0

    assert await mongo_event_store.get_stream_ids() == ["p-2"]
    assert await mongo_event_store.get_stream_info("p-1") is None
    assert await mongo_event_store.append("p-1", [booked()], expected_version=0) == 1
    assert [e.sequence_number for e in await mongo_event_store.read_all()] == [3, 4]


async def test_counting_and_finding_events_by_type(mongo_event_store: MongoDBEventStore) -> None:
    await mongo_event_store.append("p-1", [booked(), scanned(depot="A"), scanned(depot="B")])
    await mongo_event_store.append("p-2", [booked("p-2"), scanned("p-2", depot="C")])

    assert await mongo_event_store.get_events_count() == 5
    assert await mongo_event_store.get_events_count("p-1") == 3
    assert [e.depot for e in await mongo_event_store.find_by_type("ParcelScanned")] == ["A", "B", "C"]
    assert [e.depot for e in await mongo_event_store.find_by_type(ParcelScanned, 1, 1)] == ["B"]
    assert [e.depot for e in await mongo_event_store.find_by_type("ParcelScanned", limit=5, offset=2)] == [
        "C"
    ]
    with pytest.raises(ValueError, match="count"):
        await mongo_event_store.find_by_type("ParcelScanned", count=-1)


async def test_the_configured_collections_are_the_ones_written(
    document_store: MongoDBDocumentStore, mongo_uri: str, database: str
) -> None:
    config = MongoDBConfig(
        uri=mongo_uri,
        database=database,
        events_collection="parcel_events",
        streams_collection="parcel_streams",
        counters_collection="parcel_counters",
    )
    store = MongoDBEventStore(document_store, config)
    await store.append("p-1", [booked(), scanned()])

    assert await document_store.count("parcel_events", {}) == 2
    assert await document_store.count("parcel_streams", {}) == 1
    assert await document_store.find_one("parcel_counters", {}) == {
        "_id": "parcel_events.position",
        "value": 2,
    }
    assert await document_store.count("events", {}) == 0


async def test_a_registered_type_and_a_schema_evolution_apply_on_read(
    mongo_event_store: MongoDBEventStore, document_store: MongoDBDocumentStore, mongo_config: MongoDBConfig
) -> None:
    class LegacyDelivered(DomainEvent):
        parcel_id: str

    class UpperDepot:
        def upcast(self, data: dict[str, Any]) -> dict[str, Any]:
            if data.get("event_type") == "ParcelScanned":
                data["depot"] = data["depot"].upper()
            return data

    await mongo_event_store.append("p-1", [scanned(depot="lys"), ParcelDelivered(parcel_id="p-1")])
    reader = MongoDBEventStore(document_store, mongo_config, schema_evolution=UpperDepot())
    reader.register_event_type("ParcelDelivered", LegacyDelivered)

    first, second = await reader.read("p-1")
    assert first.depot == "LYS"
    assert type(second) is LegacyDelivered


async def test_the_document_store_offers_the_protocols(document_store: MongoDBDocumentStore) -> None:
    assert isinstance(document_store, DocumentStoreProtocol)
    assert isinstance(document_store, DocumentWatchProtocol)
    not_a_document_store: Any = object()
    with pytest.raises(TypeError, match="DocumentStoreProtocol"):
        MongoDBEventStore(not_a_document_store)
    with pytest.raises(TypeError, match="MongoDBConfig"):
        MongoDBEventStore(document_store, config={"events_collection": "x"})  # type: ignore[arg-type]


async def test_close_leaves_a_given_document_store_open(
    mongo_event_store: MongoDBEventStore, document_store: MongoDBDocumentStore
) -> None:
    await mongo_event_store.append("p-1", [booked()])
    await mongo_event_store.close()

    assert await document_store.count("events", {}) == 1
    assert await mongo_event_store.get_stream_version("p-1") == 1  # reconnects


async def test_a_store_built_from_config_owns_its_client(
    mongo_config: MongoDBConfig, document_store: MongoDBDocumentStore
) -> None:
    store = MongoDBEventStore.from_config(mongo_config)
    await store.append("p-1", [booked()])  # connects implicitly
    owned = store.document_store
    assert isinstance(owned, MongoDBDocumentStore)

    await store.close()

    assert owned._client is None
    assert await document_store.count("events", {}) == 1


async def test_a_version_taken_behind_the_stores_back_fails_the_append_cleanly(
    mongo_event_store: MongoDBEventStore, document_store: MongoDBDocumentStore
) -> None:
    await document_store.insert_many("events", [{"_id": 1000, "stream_id": "p-1", "version": 1}])

    with pytest.raises(EventPersistenceError, match="collections disagree"):
        await mongo_event_store.append("p-1", [booked()])

    assert await document_store.count("streams", {}) == 0
    assert await document_store.find_one("counters", {}) is None
    assert await mongo_event_store.append("p-2", [booked("p-2")]) == 1
    assert [e.sequence_number for e in await mongo_event_store.read("p-2")] == [1]


async def test_an_append_that_loses_a_race_on_a_unique_key_is_checked_again(
    document_store: MongoDBDocumentStore, mongo_config: MongoDBConfig
) -> None:
    class LosesTheFirstRace:
        """Reports one duplicate key, as a real mongod may when a concurrent creator commits first."""

        def __init__(self, inner: MongoDBDocumentStore) -> None:
            self._inner = inner
            self.raced = False

        def __getattr__(self, name: str) -> Any:
            return getattr(self._inner, name)

        async def run_transaction(self, work: Any) -> Any:
            if not self.raced:
                self.raced = True
                await self._inner.run_transaction(work)  # the rival's append commits ...
                raise DuplicateDocumentError("duplicate key")  # ... and ours collides with it
            return await self._inner.run_transaction(work)

    documents: Any = LosesTheFirstRace(document_store)
    store = MongoDBEventStore(documents, mongo_config)

    with pytest.raises(ConcurrencyError) as caught:
        await store.append("p-1", [booked()], expected_version=0)
    assert caught.value.actual_version == 1
    assert await store.append("p-1", [scanned()]) == 2
