"""Loading and saving event-sourced aggregates through ``EventSourcingRepository``."""

from __future__ import annotations

import asyncio
import logging
from datetime import UTC, datetime, timedelta
from typing import Any
from uuid import UUID, uuid4

import pytest
from repository_domain import ItemAdded, Order, OrderPlaced, ReadRecordingStore, RecordingBus

from lexigram.events import (
    AggregateNotFoundError,
    AggregateRoot,
    ConcurrencyError,
    ConfigurationError,
    EventCountPolicy,
    EventSourcingRepository,
    InMemoryEventStore,
    InMemorySnapshotStore,
    InvalidOperationError,
    Snapshot,
    TimeBasedPolicy,
)


def _repository(store: Any = None, **options: Any) -> EventSourcingRepository[Order]:
    return EventSourcingRepository(Order, store if store is not None else InMemoryEventStore(), **options)


async def test_an_unknown_aggregate_loads_as_none() -> None:
    repository = _repository()
    assert await repository.get("nobody") is None
    assert not await repository.exists("nobody")
    with pytest.raises(AggregateNotFoundError, match=r"Order.*nobody"):
        await repository.get_or_raise("nobody")


async def test_a_saved_aggregate_loads_with_its_state_id_and_version() -> None:
    store = InMemoryEventStore()
    repository = _repository(store)
    order_id = uuid4()
    order = Order.place(order_id, "ada")
    order.add_item("A")
    await repository.save(order)
    assert order.version == 2
    assert not order.has_uncommitted_events
    loaded = await repository.get_or_raise(order_id)
    assert isinstance(loaded.id, UUID)
    assert loaded.id == order_id
    assert (loaded.customer, loaded.items, loaded.version) == ("ada", ["A"], 2)
    assert not loaded.has_uncommitted_events
    assert await store.get_stream_version(str(order_id)) == 2
    assert await repository.exists(order_id)


async def test_saving_appends_only_the_new_events_with_the_expected_version() -> None:
    store = InMemoryEventStore()
    repository = _repository(store)
    await repository.save(Order.place("o-1", "ada"))
    loaded = await repository.get_or_raise("o-1")
    loaded.add_item("A")
    loaded.add_item("B")
    await repository.save(loaded)
    assert [type(e) for e in await store.read("o-1")] == [OrderPlaced, ItemAdded, ItemAdded]
    assert (await repository.get_or_raise("o-1")).items == ["A", "B"]


async def test_saving_nothing_does_nothing() -> None:
    store, bus = InMemoryEventStore(), RecordingBus()
    repository = _repository(store, event_bus=bus)
    await repository.save(Order("o-1"))
    assert await store.get_stream_ids() == []
    assert bus.published == []


async def test_a_concurrent_change_raises_and_keeps_the_events_pending() -> None:
    bus = RecordingBus()
    repository = _repository(event_bus=bus)
    await repository.save(Order.place("o-1", "ada"))
    first, second = await repository.get_or_raise("o-1"), await repository.get_or_raise("o-1")
    first.add_item("A")
    second.add_item("B")
    await repository.save(first)
    published_before = list(bus.published)
    with pytest.raises(ConcurrencyError) as caught:
        await repository.save(second)
    assert (caught.value.expected_version, caught.value.actual_version) == (1, 2)
    assert [e.sku for e in second.get_pending_events()] == ["B"]
    assert bus.published == published_before


async def test_only_one_of_many_racing_savers_wins() -> None:
    repository = _repository()
    await repository.save(Order.place("o-1", "ada"))
    copies = [await repository.get_or_raise("o-1") for _ in range(10)]
    for number, copy in enumerate(copies):
        copy.add_item(f"SKU-{number}")
    outcomes = await asyncio.gather(*(repository.save(c) for c in copies), return_exceptions=True)
    assert sum(outcome is None for outcome in outcomes) == 1
    assert sum(isinstance(outcome, ConcurrencyError) for outcome in outcomes) == 9
    assert len((await repository.get_or_raise("o-1")).items) == 1


async def test_saved_events_are_published_in_order_with_their_positions() -> None:
    bus = RecordingBus()
    repository = _repository(event_bus=bus)
    order = Order.place("o-1", "ada")
    order.add_item("A")
    pending = order.get_pending_events()
    await repository.save(order)
    assert [e.event_id for e in bus.published] == [e.event_id for e in pending]
    assert [e.sequence_number for e in bus.published] == [1, 2]
    assert all(e.aggregate_id == "o-1" and e.aggregate_type == "Order" for e in bus.published)


async def test_a_refusing_bus_is_logged_and_the_save_stands(caplog: pytest.LogCaptureFixture) -> None:
    store = InMemoryEventStore()
    repository = _repository(store, event_bus=RecordingBus(refuse=True))
    order = Order.place("o-1", "ada")
    with caplog.at_level(logging.WARNING):
        await repository.save(order)
    assert "did not accept" in caplog.text
    assert "the bus is closed" in caplog.text
    assert await store.get_stream_version("o-1") == 1
    assert not order.has_uncommitted_events


async def test_a_store_that_publishes_itself_is_left_to_publish() -> None:
    bus = RecordingBus()
    repository = _repository(InMemoryEventStore(outbox=True), event_bus=bus)  # its relay publishes
    await repository.save(Order.place("o-1", "ada"))
    assert bus.published == []


async def test_any_store_following_the_protocol_works() -> None:
    class DelegatingStore:
        """Implements the store protocol by delegation, without the framework base class."""

        def __init__(self) -> None:
            self.inner = InMemoryEventStore()

        def __getattr__(self, name: str) -> Any:
            return getattr(self.inner, name)

        async def append(self, stream_id: str, events: list[Any], expected_version: int | None = None) -> int:
            return await self.inner.append(stream_id, events, expected_version)

    bus = RecordingBus()
    repository = _repository(DelegatingStore(), event_bus=bus)
    order = Order.place("o-1", "ada")
    await repository.save(order)
    assert [type(e) for e in bus.published] == [OrderPlaced]
    assert (await repository.get_or_raise("o-1")).customer == "ada"


async def test_a_snapshot_is_taken_when_the_policy_says_so_and_used_on_load() -> None:
    store, snapshots = ReadRecordingStore(), InMemorySnapshotStore()
    repository = _repository(store, snapshot_store=snapshots, snapshot_policy=EventCountPolicy(3))
    order = Order.place("o-1", "ada")
    order.add_item("A")
    await repository.save(order)
    assert await snapshots.get_latest("o-1") is None  # 2 events < 3
    order.add_item("B")
    await repository.save(order)
    snapshot = await snapshots.get_latest("o-1")
    assert snapshot is not None
    assert snapshot.version == 3
    assert snapshot.state["items"] == ["A", "B"]
    order.add_item("C")
    await repository.save(order)
    assert (await snapshots.get_latest("o-1")).version == 3  # type: ignore[union-attr]
    store.reads.clear()
    loaded = await repository.get_or_raise("o-1")
    assert store.reads == [4]  # only the events after the snapshot were read
    assert (loaded.items, loaded.version, loaded.id) == (["A", "B", "C"], 4, "o-1")
    assert not loaded.has_uncommitted_events


async def test_the_next_snapshot_counts_from_the_last_one() -> None:
    snapshots = InMemorySnapshotStore()
    repository = _repository(snapshot_store=snapshots, snapshot_every=2)
    order = Order.place("o-1", "ada")
    order.add_item("A")
    await repository.save(order)  # snapshot at 2
    loaded = await repository.get_or_raise("o-1")
    loaded.add_item("B")
    await repository.save(loaded)  # 1 event since the snapshot
    assert (await snapshots.get_latest("o-1")).version == 2  # type: ignore[union-attr]
    loaded.add_item("C")
    await repository.save(loaded)
    assert (await snapshots.get_latest("o-1")).version == 4  # type: ignore[union-attr]


async def test_a_time_based_policy_snapshots_when_the_last_snapshot_is_old() -> None:
    clock = [datetime(2024, 5, 1, 12, 0, tzinfo=UTC)]
    snapshots = InMemorySnapshotStore()
    policy = TimeBasedPolicy(60, clock=lambda: clock[0])
    repository = _repository(snapshot_store=snapshots, snapshot_policy=policy)
    order = Order.place("o-1", "ada")
    await repository.save(order)  # no snapshot yet: the first save takes one
    first = await snapshots.get_latest("o-1")
    assert first is not None
    assert first.version == 1
    clock[0] = first.timestamp + timedelta(seconds=30)
    order.add_item("A")
    await repository.save(order)
    assert (await snapshots.get_latest("o-1")).version == 1  # type: ignore[union-attr]
    clock[0] = first.timestamp + timedelta(seconds=61)
    order.add_item("B")
    await repository.save(order)
    assert (await snapshots.get_latest("o-1")).version == 3  # type: ignore[union-attr]


async def test_a_failing_snapshot_never_hides_the_save(caplog: pytest.LogCaptureFixture) -> None:
    class BrokenSnapshots(InMemorySnapshotStore):
        async def _write_snapshot(self, key: str, snapshot: Snapshot) -> None:
            raise OSError("disk full")

    store, bus = InMemoryEventStore(), RecordingBus()
    repository = _repository(store, snapshot_store=BrokenSnapshots(), event_bus=bus, snapshot_every=1)
    order = Order.place("o-1", "ada")
    with caplog.at_level(logging.ERROR):
        await repository.save(order)
    assert "taking its snapshot failed" in caplog.text
    assert "disk full" in caplog.text
    assert await store.get_stream_version("o-1") == 1
    assert not order.has_uncommitted_events
    assert len(bus.published) == 1


async def test_an_aggregate_with_only_a_snapshot_exists_and_loads() -> None:
    snapshots = InMemorySnapshotStore()
    await snapshots.save_snapshot(Order.place("o-1", "ada").create_snapshot())
    repository = _repository(snapshot_store=snapshots)
    assert await repository.exists("o-1")
    loaded = await repository.get_or_raise("o-1")
    assert (loaded.customer, loaded.version) == ("ada", 1)


async def test_force_snapshot_snapshots_the_saved_state() -> None:
    snapshots = InMemorySnapshotStore()
    repository = _repository(snapshot_store=snapshots)
    order = Order.place("o-1", "ada")
    await repository.save(order)
    snapshot = await repository.force_snapshot(order)
    assert snapshot.version == 1
    assert (await snapshots.get_latest("o-1")) is not None
    order.add_item("A")
    with pytest.raises(InvalidOperationError, match="unsaved events"):
        await repository.force_snapshot(order)
    with pytest.raises(ConfigurationError, match="no snapshot_store"):
        await _repository().force_snapshot(Order.place("o-2", "bob"))


async def test_instances_are_built_whatever_the_constructor_looks_like() -> None:
    class NoArguments(AggregateRoot):
        def __init__(self) -> None:
            super().__init__()
            self.ready = True

    class TwoArguments(AggregateRoot):
        def __init__(self, aggregate_id: str, region: str) -> None:
            super().__init__(aggregate_id)
            self.region = region

    store = InMemoryEventStore()
    for cls in (NoArguments, TwoArguments):
        await store.append(f"{cls.__name__}-1", [OrderPlaced(customer="ada")])
        loaded = await EventSourcingRepository(cls, store).get(f"{cls.__name__}-1")
        assert loaded is not None
        assert loaded.id == f"{cls.__name__}-1"
        assert loaded.version == 1
    no_arguments = await EventSourcingRepository(NoArguments, store).get("NoArguments-1")
    assert no_arguments is not None
    assert no_arguments.ready


async def test_events_recorded_by_a_constructor_are_not_left_pending() -> None:
    class SelfPlacing(AggregateRoot):
        def __init__(self, aggregate_id: str) -> None:
            super().__init__(aggregate_id)
            self._apply(OrderPlaced(customer="auto"))

    store = InMemoryEventStore()
    repository = EventSourcingRepository(SelfPlacing, store)
    await repository.save(SelfPlacing("s-1"))
    loaded = await repository.get_or_raise("s-1")
    assert loaded.version == 1
    assert not loaded.has_uncommitted_events


def test_the_aggregate_type_must_be_an_aggregate() -> None:
    with pytest.raises(TypeError, match="AggregateRoot subclass"):
        EventSourcingRepository(dict, InMemoryEventStore())  # type: ignore[type-var]
    with pytest.raises(ValueError, match="EventCountPolicy"):
        EventSourcingRepository(Order, InMemoryEventStore(), snapshot_every=0)


async def test_a_subclass_with_a_pass_body_works() -> None:
    class OrderRepository(EventSourcingRepository[Order]):
        pass

    repository = OrderRepository(aggregate_type=Order, event_store=InMemoryEventStore())
    await repository.save(Order.place("o-1", "ada"))
    assert await repository.exists("o-1")


async def test_the_loaded_id_is_the_one_asked_for_even_if_the_snapshot_has_its_text() -> None:
    order_id = uuid4()
    snapshots, store = InMemorySnapshotStore(), InMemoryEventStore()
    state = {"id": str(order_id), "customer": "ada", "items": []}
    await snapshots.save_snapshot(
        Snapshot(aggregate_id=order_id, aggregate_type="Order", version=1, state=state)
    )
    await store.append(str(order_id), [OrderPlaced(customer="ada"), ItemAdded(sku="A")])
    loaded = await _repository(store, snapshot_store=snapshots).get_or_raise(order_id)
    assert loaded.id == order_id
    assert isinstance(loaded.id, UUID)
    assert (loaded.items, loaded.version) == (["A"], 2)


async def test_a_store_that_overrides_append_sees_every_save() -> None:
    class CountingStore(InMemoryEventStore):
        def __init__(self) -> None:
            super().__init__()
            self.append_calls = 0

        async def append(self, *args: Any, **kwargs: Any) -> int:
            self.append_calls += 1
            return await super().append(*args, **kwargs)

    store, bus = CountingStore(), RecordingBus()
    repository = _repository(store, event_bus=bus)
    await repository.save(Order.place("o-1", "ada"))
    assert store.append_calls == 1
    assert [type(e) for e in bus.published] == [OrderPlaced]
