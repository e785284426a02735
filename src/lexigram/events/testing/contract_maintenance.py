"""Conformance checks for compaction, stream information and stream listing."""

from __future__ import annotations

from typing import Any

from lexigram.events.testing.contract_support import collect, fill_stream, item, placed

__all__ = ["MaintenanceContract"]


class MaintenanceContract:
    """Compaction and stream metadata. Needs an ``event_store`` fixture giving a new, empty store."""

    async def test_compaction_deletes_old_events_but_keeps_the_version(self, event_store: Any) -> None:
        await fill_stream(event_store, "s", 5)
        assert await event_store.compact("s", 3) == 3
        assert await event_store.get_stream_version("s") == 5
        assert [e.sku for e in await event_store.read("s")] == ["SKU-4", "SKU-5"]
        assert await event_store.append("s", [item("s", sku="SKU-6")], expected_version=5) == 6
        assert await event_store.stream_exists("s")

    async def test_compacted_events_disappear_from_every_read(self, event_store: Any) -> None:
        await fill_stream(event_store, "s", 3)
        await fill_stream(event_store, "t", 2)
        before = {e.event_id: e.sequence_number for e in await event_store.read_all()}
        await event_store.compact("s", 2)
        remaining = await collect(event_store.stream_all())
        assert [(e.order_id, e.sku) for e in remaining] == [("s", "SKU-3"), ("t", "SKU-1"), ("t", "SKU-2")]
        assert all(before[e.event_id] == e.sequence_number for e in remaining)
        by_type = await collect(event_store.stream_by_type(["ConformanceItemAdded"]))
        assert [e.event_id for e in by_type] == [e.event_id for e in remaining]
        assert [e.event_id for e in await event_store.read_all()] == [e.event_id for e in remaining]
        assert [e.sku for e in await event_store.read("s", 1, 3)] == ["SKU-3"]

    async def test_compaction_counts_only_what_it_deletes(self, event_store: Any) -> None:
        await fill_stream(event_store, "s", 3)
        assert await event_store.compact("s", 0) == 0
        assert await event_store.compact("s", 2) == 2
        assert await event_store.compact("s", 2) == 0
        assert await event_store.compact("s", 99) == 1
        assert await event_store.read("s") == []
        assert await event_store.get_stream_version("s") == 3
        assert await event_store.compact("nobody", 5) == 0

    async def test_stream_info_describes_the_stored_events(self, event_store: Any) -> None:
        assert await event_store.get_stream_info("o-1") is None
        first = placed("o-1", aggregate_type="Order")
        await event_store.append("o-1", [first, item("o-1"), item("o-1", sku="SKU-2")])
        info = await event_store.get_stream_info("o-1")
        stored = await event_store.read("o-1")
        assert info.stream_id == "o-1"
        assert info.version == 3
        assert info.event_count == 3
        assert info.created_at == stored[0].occurred_at
        assert info.updated_at == stored[-1].occurred_at
        assert info.aggregate_type == "Order"
        await event_store.compact("o-1", 1)
        info = await event_store.get_stream_info("o-1")
        assert info.version == 3
        assert info.event_count == 2
        assert info.created_at == stored[1].occurred_at

    async def test_stream_ids_and_existence(self, event_store: Any) -> None:
        assert not await event_store.stream_exists("a")
        await fill_stream(event_store, "a", 1)
        await fill_stream(event_store, "b", 2)
        assert sorted(await event_store.get_stream_ids()) == ["a", "b"]
        assert await event_store.stream_exists("a")
        assert not await event_store.stream_exists("c")
