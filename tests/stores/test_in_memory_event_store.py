"""What the in-memory event store adds to the contract: eviction, helpers, argument forms."""

from __future__ import annotations

import dataclasses
import warnings
from uuid import uuid4

import pytest

from lexigram.contracts.domain import DomainEvent
from lexigram.events import ConcurrencyError, Event, EventEvictionWarning, InMemoryEventStore
from lexigram.events.config import InMemoryEventStoreConfig


class Noted(DomainEvent):
    stream_id: str
    text: str = ""


class Counted(Event):
    n: int


async def _append_each(store: InMemoryEventStore, stream_id: str, count: int) -> None:
    for n in range(count):
        await store.append(stream_id, [Counted(n=n)])


async def test_going_over_max_events_per_stream_evicts_visibly() -> None:
    store = InMemoryEventStore(max_events_per_stream=3)
    with pytest.warns(EventEvictionWarning, match="max_events_per_stream=3") as caught:
        await _append_each(store, "s", 5)
    assert len(caught) == 1  # once per stream
    assert [e.n for e in await store.read("s")] == [2, 3, 4]
    assert await store.get_stream_version("s") == 5
    assert store.evicted_event_count == 2
    assert [e.sequence_number for e in await store.read_all()] == [3, 4, 5]
    info = await store.get_stream_info("s")
    assert info is not None
    assert (info.version, info.event_count) == (5, 3)
    assert await store.append("s", [Counted(n=5)], expected_version=5) == 6


async def test_each_stream_reports_its_first_eviction() -> None:
    store = InMemoryEventStore(max_events_per_stream=1)

    async def overflow_two_streams() -> None:
        await store.append("a", [Counted(n=1), Counted(n=2)])
        await store.append("b", [Counted(n=1), Counted(n=2)])
        await store.append("a", [Counted(n=3)])

    with pytest.warns(EventEvictionWarning) as caught:
        await overflow_two_streams()
    assert len(caught) == 2
    assert "'a'" in str(caught[0].message)
    assert "'b'" in str(caught[1].message)
    assert store.evicted_event_count == 3


async def test_zero_means_unbounded() -> None:
    store = InMemoryEventStore(max_events_per_stream=0)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        await store.append("s", [Counted(n=n) for n in range(20_000)])
    assert len(await store.read("s")) == 20_000
    assert store.evicted_event_count == 0


@pytest.mark.parametrize("bad", [-1, 1.5, "10", True])
def test_a_bad_limit_is_rejected(bad: object) -> None:
    with pytest.raises(ValueError, match="max_events_per_stream"):
        InMemoryEventStore(max_events_per_stream=bad)  # type: ignore[arg-type]


async def test_the_synchronous_helpers_and_clear() -> None:
    store = InMemoryEventStore()
    assert store.get_global_position() == 0
    assert store.get_all_streams() == []
    await _append_each(store, "a", 2)
    await _append_each(store, "b", 1)
    await store.compact("b", 1)
    assert store.get_global_position() == 3
    assert store.get_all_streams() == ["a", "b"]
    store.clear()
    assert store.get_global_position() == 0
    assert await store.get_stream_ids() == []
    assert await store.append("a", [Counted(n=0)], expected_version=0) == 1
    assert (await store.read("a"))[0].sequence_number == 1


async def test_reads_hand_out_the_stored_copies_without_copying_again() -> None:
    store = InMemoryEventStore()
    appended = await store.append_returning("s", [Counted(n=1), Counted(n=2)])
    assert appended.version == 2
    first_read, second_read = await store.read("s"), await store.read("s")
    assert all(a is b is c for a, b, c in zip(appended.events, first_read, second_read, strict=True))
    assert [e.version for e in appended.events] == [1, 2]


async def test_append_returning_an_empty_list_reports_the_version() -> None:
    store = InMemoryEventStore()
    await _append_each(store, "s", 2)
    assert await store.append_returning("s", []) == (2, [])
    with pytest.raises(ConcurrencyError):
        await store.append_returning("s", [], expected_version=1)


async def test_uuid_stream_ids_are_used_as_strings() -> None:
    store, stream = InMemoryEventStore(), uuid4()
    await store.append(stream, [Counted(n=1)])
    assert await store.get_stream_ids() == [str(stream)]
    assert len(await store.read(stream)) == len(await store.get_events(aggregate_id=stream)) == 1


async def test_bad_append_arguments_are_rejected() -> None:
    @dataclasses.dataclass
    class NotAnEvent:
        stream_id: str

    store = InMemoryEventStore()
    with pytest.raises(TypeError, match="not a DomainEvent"):
        await store.append("s", [NotAnEvent("s")])
    with pytest.raises(TypeError, match="needs the events"):
        await store.append("s")
    with pytest.raises(TypeError, match="stream_id must be a str"):
        await store.append(42, [Counted(n=1)])
    with pytest.raises(ValueError, match="no events and no stream_id"):
        await store.append([])
    with pytest.raises(ValueError, match="cannot tell which stream"):
        await store.append(Counted(n=1))
    with pytest.raises(ValueError, match="from_version or start"):
        await store.read("s", 2, start=1)
    with pytest.raises(ValueError, match="disagree"):
        await store.read("s", limit=1, count=2)
    assert store.get_global_position() == 0


async def test_the_stream_of_an_event_is_inferred_from_its_first_id_field() -> None:
    store = InMemoryEventStore()
    assert await store.append(Noted(stream_id="n-1", text="hi")) == 1
    assert await store.append(Counted(n=1, aggregate_id="agg")) == 1
    assert await store.get_stream_ids() == ["n-1", "agg"]


async def test_stream_arguments_are_checked_when_called_not_when_iterated() -> None:
    store = InMemoryEventStore()
    with pytest.raises(ValueError, match="partition"):
        store.stream_all(partition=1)
    with pytest.raises(TypeError, match="list of type names"):
        store.stream_by_type("Counted")


async def test_stream_by_type_accepts_event_classes() -> None:
    store = InMemoryEventStore()
    await store.append("s", [Counted(n=1), Noted(stream_id="s")])
    assert [type(e) async for e in store.stream_by_type([Noted])] == [Noted]


def test_it_can_be_built_from_config() -> None:
    store = InMemoryEventStore.from_config(InMemoryEventStoreConfig(max_events_per_stream=7), "upcaster")
    assert store.max_events_per_stream == 7
    assert store.schema_evolution == "upcaster"
