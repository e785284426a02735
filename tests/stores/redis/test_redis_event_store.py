"""RedisEventStore on a real Redis server: what users rely on beyond the conformance suite."""

from __future__ import annotations

import asyncio
import itertools
from collections.abc import AsyncIterator
from decimal import Decimal
from typing import Any

import pytest

from lexigram.contracts.messages import DomainEvent
from lexigram.contracts.state import StateStoreProtocol
from lexigram.events.exceptions import ConcurrencyError, EventStoreError
from lexigram.events.stores.redis import RedisEventStore, RedisKeys, RedisStateStore
from lexigram.events.stores.serialization import JsonEventSerializer
from lexigram.events.testing.contract_support import collect


class CartOpened(DomainEvent):
    cart_id: str
    customer: str


class ItemPut(DomainEvent):
    cart_id: str
    sku: str
    price: Decimal


class CartCheckedOut(DomainEvent):
    cart_id: str


def opened(cart: str = "cart-1") -> CartOpened:
    return CartOpened(cart_id=cart, customer="ada", aggregate_type="Cart")


def put(cart: str = "cart-1", sku: str = "SKU-1") -> ItemPut:
    return ItemPut(cart_id=cart, sku=sku, price=Decimal("2.50"))


@pytest.fixture
async def second_client(redis_url: str) -> AsyncIterator[RedisStateStore]:
    """Another connection, as a second process would have."""
    store = RedisStateStore(redis_url)
    yield store
    await store.close()


async def test_a_cart_history_survives_a_new_connection(
    redis_event_store: RedisEventStore, second_client: RedisStateStore, namespace: str
) -> None:
    history: list[DomainEvent] = [opened(), put(), put(sku="SKU-2"), CartCheckedOut(cart_id="cart-1")]
    await redis_event_store.append("cart-1", history, expected_version=0)

    reopened = RedisEventStore(second_client, namespace=namespace)
    stored = await reopened.read("cart-1")

    assert [type(e) for e in stored] == [CartOpened, ItemPut, ItemPut, CartCheckedOut]
    assert [e.event_id for e in stored] == [e.event_id for e in history]
    assert [e.occurred_at for e in stored] == [e.occurred_at for e in history]
    assert stored[1].price == Decimal("2.50")
    assert await reopened.get_stream_version("cart-1") == 4
    info = await reopened.get_stream_info("cart-1")
    assert info is not None
    assert (info.aggregate_type, info.event_count) == ("Cart", 4)


async def test_namespaces_keep_applications_apart(state_store: RedisStateStore, namespace: str) -> None:
    shop = RedisEventStore(state_store, namespace=f"{namespace}:shop")
    billing = RedisEventStore(state_store, namespace=f"{namespace}:billing")

    await shop.append("cart-1", [opened()])
    await billing.append("cart-1", [put(), put()])

    assert await shop.get_stream_version("cart-1") == 1
    assert await billing.get_stream_version("cart-1") == 2
    assert [e.sequence_number for e in await billing.read_all()] == [1, 2]
    assert await shop.get_stream_ids() == ["cart-1"]


async def test_appenders_on_separate_connections_get_contiguous_versions(
    redis_url: str, namespace: str
) -> None:
    clients = [RedisStateStore(redis_url) for _ in range(5)]
    stores = [RedisEventStore(client, namespace=namespace) for client in clients]
    try:
        versions = await asyncio.gather(
            *(stores[n % 5].append("hot", [put("hot", sku=f"S{n}")]) for n in range(50))
        )
        creators = await asyncio.gather(
            *(stores[n % 5].append("new", [opened("new")], expected_version=0) for n in range(10)),
            return_exceptions=True,
        )
    finally:
        for client in clients:
            await client.close()

    assert sorted(versions) == list(range(1, 51))
    assert creators.count(1) == 1
    assert sum(isinstance(outcome, ConcurrencyError) for outcome in creators) == 9


async def test_a_reader_never_sees_a_hole_while_writers_append(redis_event_store: RedisEventStore) -> None:
    done = False
    observed: list[list[int]] = []

    async def reader() -> None:
        while not done:
            observed.append([e.sequence_number for e in await collect(redis_event_store.stream_all())])

    reading = asyncio.create_task(reader())
    await asyncio.gather(
        *(redis_event_store.append(f"cart-{n % 7}", [put(f"cart-{n % 7}")]) for n in range(60))
    )
    done = True
    await reading

    assert all(positions == list(range(1, len(positions) + 1)) for positions in observed)
    assert [e.sequence_number for e in await redis_event_store.read_all()] == list(range(1, 61))


async def test_conflicting_appends_do_not_use_up_positions(redis_event_store: RedisEventStore) -> None:
    await redis_event_store.append("cart-1", [opened()])
    for _ in range(3):
        with pytest.raises(ConcurrencyError):
            await redis_event_store.append("cart-1", [put()], expected_version=0)
    await redis_event_store.append("cart-2", [opened("cart-2")])

    assert [e.sequence_number for e in await redis_event_store.read_all()] == [1, 2]


async def test_deleting_a_stream_forgets_it_and_spares_the_others(redis_event_store: RedisEventStore) -> None:
    await redis_event_store.append("cart-1", [opened(), put(), put()])
    await redis_event_store.append("cart-2", [opened("cart-2")])

    assert await redis_event_store.delete_stream("cart-1") == 3
    assert await redis_event_store.delete_stream("cart-1") == 0

    assert not await redis_event_store.stream_exists("cart-1")
    assert await redis_event_store.get_stream_info("cart-1") is None
    assert await redis_event_store.get_stream_ids() == ["cart-2"]
    assert [e.sequence_number for e in await redis_event_store.read_all()] == [4]
    assert await redis_event_store.append("cart-1", [opened()], expected_version=0) == 1
    assert (await redis_event_store.read("cart-1"))[0].sequence_number == 5


async def test_counting_and_finding_events_by_type(redis_event_store: RedisEventStore) -> None:
    await redis_event_store.append("cart-1", [opened(), put(sku="A"), put(sku="B")])
    await redis_event_store.append("cart-2", [opened("cart-2"), put("cart-2", sku="C")])

    assert await redis_event_store.get_events_count() == 5
    assert await redis_event_store.get_events_count("cart-1") == 3
    assert await redis_event_store.get_events_count("nobody") == 0
    assert [e.sku for e in await redis_event_store.find_by_type("ItemPut")] == ["A", "B", "C"]
    assert [e.sku for e in await redis_event_store.find_by_type(ItemPut, 1, 1)] == ["B"]
    assert [e.sku for e in await redis_event_store.find_by_type("ItemPut", limit=5, offset=2)] == ["C"]
    assert await redis_event_store.find_by_type("ItemPut", count=0) == []
    with pytest.raises(ValueError, match="disagree"):
        await redis_event_store.find_by_type("ItemPut", count=1, limit=2)
    with pytest.raises(ValueError, match="event_type"):
        await redis_event_store.find_by_type("")


async def test_compacting_a_long_stream(redis_event_store: RedisEventStore) -> None:
    for batch in range(12):
        await redis_event_store.append("long", [put("long", sku=f"{batch}-{n}") for n in range(100)])

    assert await redis_event_store.compact("long", 1150) == 1150
    remaining = await redis_event_store.read("long")
    assert [e.sku for e in remaining] == [f"11-{n}" for n in range(50, 100)]
    assert await redis_event_store.get_events_count() == 50
    assert await redis_event_store.get_stream_version("long") == 1200


async def test_a_registered_type_reads_stored_events_as_another_class(
    redis_event_store: RedisEventStore, state_store: RedisStateStore, namespace: str
) -> None:
    class LegacyCheckout(DomainEvent):
        cart_id: str

    await redis_event_store.append("cart-1", [CartCheckedOut(cart_id="cart-1")])
    reader = RedisEventStore(state_store, namespace=namespace)
    reader.register_event_type("CartCheckedOut", LegacyCheckout)

    (event,) = await reader.read("cart-1")
    assert type(event) is LegacyCheckout
    assert event.cart_id == "cart-1"


async def test_schema_evolution_upcasts_what_is_read(state_store: RedisStateStore, namespace: str) -> None:
    class RenameCustomer:
        def upcast(self, data: dict[str, Any]) -> dict[str, Any]:
            if data.get("event_type") == "CartOpened":
                data["customer"] = data["customer"].upper()
            return data

    await RedisEventStore(state_store, namespace=namespace).append("cart-1", [opened()])
    evolved = RedisEventStore(state_store, namespace=namespace, schema_evolution=RenameCustomer())

    (event,) = await evolved.read("cart-1")
    assert event.customer == "ADA"


async def test_a_custom_serializer_is_used_both_ways(state_store: RedisStateStore, namespace: str) -> None:
    class CountingSerializer(JsonEventSerializer):
        def __init__(self) -> None:
            super().__init__()
            self.written = 0

        def serialize(self, event: DomainEvent) -> bytes:
            self.written += 1
            return super().serialize(event)

    serializer = CountingSerializer()
    store = RedisEventStore(state_store, namespace=namespace, event_serializer=serializer)
    await store.append("cart-1", [opened(), put()])

    assert serializer.written == 2
    assert [type(e) for e in await store.read("cart-1")] == [CartOpened, ItemPut]


async def test_keys_holding_other_data_fail_the_append_and_write_nothing(
    redis_event_store: RedisEventStore, state_store: RedisStateStore, namespace: str
) -> None:
    keys = RedisKeys(namespace)
    await state_store.client.set(keys.log, "not a stream")

    with pytest.raises(EventStoreError, match="WRONGTYPE"):
        await redis_event_store.append("cart-1", [opened()])

    assert await state_store.client.get(keys.position) is None
    assert await redis_event_store.get_stream_version("cart-1") == 0


async def test_positions_are_read_in_order_across_many_streams(redis_event_store: RedisEventStore) -> None:
    for round_number, cart in itertools.product(range(3), range(40)):
        await redis_event_store.append(f"cart-{cart}", [put(f"cart-{cart}", sku=f"R{round_number}")])

    every = await collect(redis_event_store.stream_all(batch_size=7))
    assert [e.sequence_number for e in every] == list(range(1, 121))
    rare = await collect(redis_event_store.stream_by_type(["CartOpened"]))
    assert rare == []
    late = await collect(redis_event_store.stream_all(from_position=115))
    assert [e.sequence_number for e in late] == [116, 117, 118, 119, 120]


async def test_close_leaves_a_given_state_store_open(redis_event_store: RedisEventStore) -> None:
    await redis_event_store.append("cart-1", [opened()])
    await redis_event_store.close()

    assert await redis_event_store.get_stream_version("cart-1") == 1


async def test_a_store_built_from_a_url_owns_and_closes_its_connection(
    redis_url: str, namespace: str
) -> None:
    store = RedisEventStore.from_url(redis_url, namespace)
    await store.connect()
    await store.append("cart-1", [opened()])
    state_store = store.state_store
    assert isinstance(state_store, RedisStateStore)
    assert isinstance(state_store, StateStoreProtocol)

    await store.close()

    assert state_store._client is None
    cleanup = RedisEventStore.from_url(redis_url, namespace)
    assert await cleanup.get_stream_version("cart-1") == 1
    await cleanup.close()


async def test_bad_construction_is_rejected(state_store: RedisStateStore) -> None:
    with pytest.raises(ValueError, match="namespace"):
        RedisEventStore(state_store, namespace="")
    not_a_state_store: Any = object()
    with pytest.raises(TypeError, match="StateStoreProtocol"):
        RedisEventStore(not_a_state_store)
