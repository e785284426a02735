"""Conformance checks for reading streams: ranges, cursors and what comes back."""

from __future__ import annotations

from typing import Any

import pytest

from lexigram.events.testing.contract_events import ConformanceFreeForm
from lexigram.events.testing.contract_support import fill_stream, item, placed, shipped

__all__ = ["ReadingContract"]


class ReadingContract:
    """Reading streams. Needs an ``event_store`` fixture giving a new, empty store."""

    async def test_events_come_back_as_appended_with_equal_payload_and_ids(self, event_store: Any) -> None:
        originals: list[Any] = [
            placed("o-1", note="leave at the door", correlation_id="corr-1", actor_id="user-9"),
            item("o-1", sku="SKU-9", quantity=3),
            shipped("o-1", tracking="T-77", aggregate_id="o-1", aggregate_type="Order"),
        ]
        await event_store.append("o-1", originals)
        stored = await event_store.read("o-1")
        assert [type(e) for e in stored] == [type(e) for e in originals]
        for got, sent in zip(stored, originals, strict=True):
            assert got.event_id == sent.event_id
            assert got.occurred_at == sent.occurred_at
            assert got.event_type == sent.event_type
            assert got.to_dict() | {"sequence_number": None, "version": None} == sent.to_dict() | {
                "sequence_number": None,
                "version": None,
            }
        assert stored[0].total == originals[0].total
        assert stored[0].placed_on == originals[0].placed_on
        assert stored[0].customer_id == originals[0].customer_id
        assert stored[0].tags == ["gift", "express"]
        assert stored[0].correlation_id == "corr-1"
        assert stored[0].actor_id == "user-9"
        assert stored[2].aggregate_id == "o-1"
        assert stored[2].aggregate_type == "Order"

    async def test_stored_events_carry_their_position_and_stream_version(self, event_store: Any) -> None:
        await event_store.append("a", [shipped("a", tracking="1")])
        await event_store.append("b", [placed("b"), shipped("b", tracking="2")])
        await event_store.append("a", [shipped("a", tracking="3")])
        stored_a, stored_b = await event_store.read("a"), await event_store.read("b")
        assert [e.version for e in stored_a] == [1, 2]
        assert stored_b[1].version == 2
        assert not hasattr(stored_b[0], "version")
        in_log = await event_store.read_all()
        assert [e.event_id for e in in_log] == [
            stored_a[0].event_id,
            stored_b[0].event_id,
            stored_b[1].event_id,
            stored_a[1].event_id,
        ]
        positions = {e.event_id: e.sequence_number for e in in_log}
        assert all(e.sequence_number == positions[e.event_id] for e in stored_a + stored_b)

    async def test_the_callers_events_are_never_modified(self, event_store: Any) -> None:
        originals: list[Any] = [placed("o-1"), shipped("o-1")]
        before = [e.to_dict() for e in originals]
        await event_store.append("o-1", originals)
        await event_store.read("o-1")
        assert [e.to_dict() for e in originals] == before
        assert originals[0].sequence_number is None
        assert originals[1].version == 0

    async def test_read_bounds_are_inclusive_and_1_based(self, event_store: Any) -> None:
        await fill_stream(event_store, "s", 5)

        async def versions(*args: Any, **kwargs: Any) -> list[str]:
            return [e.sku for e in await event_store.read("s", *args, **kwargs)]

        every = ["SKU-1", "SKU-2", "SKU-3", "SKU-4", "SKU-5"]
        assert await versions() == every
        assert await versions(0) == await versions(1) == every
        assert await versions(2, 4) == ["SKU-2", "SKU-3", "SKU-4"]
        assert await versions(from_version=4) == ["SKU-4", "SKU-5"]
        assert await versions(to_version=1) == ["SKU-1"]
        assert await versions(6) == []
        assert await versions(4, 3) == []

    async def test_limit_applies_after_the_range(self, event_store: Any) -> None:
        await fill_stream(event_store, "s", 5)
        assert [e.sku for e in await event_store.read("s", 2, None, 2)] == ["SKU-2", "SKU-3"]
        assert [e.sku for e in await event_store.read("s", 4, 5, 10)] == ["SKU-4", "SKU-5"]
        assert await event_store.read("s", limit=0) == []

    async def test_start_is_a_cursor_and_count_a_limit(self, event_store: Any) -> None:
        await fill_stream(event_store, "s", 5)
        assert [e.sku for e in await event_store.read("s", start=2)] == ["SKU-3", "SKU-4", "SKU-5"]
        assert [e.sku for e in await event_store.read("s", start=0, count=2)] == ["SKU-1", "SKU-2"]
        assert await event_store.read("s", start=5) == []

    async def test_an_unknown_stream_reads_as_empty(self, event_store: Any) -> None:
        assert await event_store.read("nobody") == []
        assert await event_store.read("nobody", 3, 9, 2) == []

    async def test_bad_read_arguments_are_rejected(self, event_store: Any) -> None:
        await fill_stream(event_store, "s", 2)
        for arguments in ({"from_version": -1}, {"to_version": -2}, {"limit": -1}, {"start": -1}):
            (name,) = arguments
            with pytest.raises(ValueError, match=name):
                await event_store.read("s", **arguments)
        with pytest.raises(ValueError, match="position"):
            await event_store.read_all(position=-1)

    async def test_read_all_returns_events_after_a_position(self, event_store: Any) -> None:
        await fill_stream(event_store, "a", 2)
        await fill_stream(event_store, "b", 2)
        positions = [e.sequence_number for e in await event_store.read_all()]
        if getattr(self, "positions_are_gapless", True):
            assert positions == [1, 2, 3, 4]
        assert len(positions) == 4
        assert [e.order_id for e in await event_store.read_all(position=positions[1])] == ["b", "b"]
        two_after_the_first = await event_store.read_all(positions[0], count=2)
        assert [e.sequence_number for e in two_after_the_first] == positions[1:3]
        assert await event_store.read_all(position=positions[3]) == []

    async def test_events_without_declared_payload_keep_their_payload(self, event_store: Any) -> None:
        payload: dict[str, Any] = {"data": {"colour": "blue"}, "count": 3}
        event = ConformanceFreeForm(**payload)
        await event_store.append("free", [event])
        stored: Any
        (stored,) = await event_store.read("free")
        assert stored.data == {"colour": "blue"}
        assert stored.count == 3
        assert stored.version == 1
        assert stored.event_id == event.event_id
        assert type(stored) is ConformanceFreeForm

    async def test_returned_lists_belong_to_the_caller(self, event_store: Any) -> None:
        await fill_stream(event_store, "s", 3)
        first = await event_store.read("s")
        first.clear()
        assert len(await event_store.read("s")) == 3
