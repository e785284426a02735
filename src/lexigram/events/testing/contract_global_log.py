"""Conformance checks for the global log: positions, ``stream_all``, partitions, ``stream_by_type``."""

from __future__ import annotations

import itertools
from typing import Any, ClassVar

import pytest

from lexigram.events.stores.partitioning import partition_of
from lexigram.events.testing.contract_support import collect, fill_stream, item, placed, shipped

__all__ = ["GlobalLogContract"]


class GlobalLogContract:
    """Reading every stream in commit order. Needs an ``event_store`` fixture giving a new, empty store."""

    positions_are_gapless: ClassVar[bool] = True
    """True when global positions are exactly 1, 2, 3... (memory, SQLite); False when they only
    strictly increase (a database sequence may skip numbers)."""

    async def _interleaved(self, event_store: Any, streams: int = 12, per_stream: int = 3) -> None:
        for round_number in range(per_stream):
            for number in range(streams):
                await event_store.append(
                    f"stream-{number}", [item(f"stream-{number}", sku=f"R{round_number}")]
                )

    async def test_positions_start_at_1_and_increase_in_commit_order(self, event_store: Any) -> None:
        await self._interleaved(event_store, streams=4, per_stream=3)
        positions = [e.sequence_number for e in await collect(event_store.stream_all())]
        assert len(positions) == 12
        assert positions[0] >= 1
        assert all(a < b for a, b in itertools.pairwise(positions))
        if self.positions_are_gapless:
            assert positions == list(range(1, 13))

    async def test_stream_all_from_position_is_exclusive(self, event_store: Any) -> None:
        await self._interleaved(event_store, streams=2, per_stream=3)
        every = await collect(event_store.stream_all())
        cut = every[2].sequence_number
        after = await collect(event_store.stream_all(from_position=cut))
        assert [e.event_id for e in after] == [e.event_id for e in every[3:]]
        assert await collect(event_store.stream_all(from_position=every[-1].sequence_number)) == []

    async def test_batch_size_does_not_change_what_is_yielded(self, event_store: Any) -> None:
        await self._interleaved(event_store, streams=5, per_stream=4)
        expected = [e.event_id for e in await collect(event_store.stream_all())]
        for batch_size in (1, 3, 7, 20, 1000):
            got = [e.event_id for e in await collect(event_store.stream_all(batch_size=batch_size))]
            assert got == expected, batch_size

    async def test_partitions_are_disjoint_complete_and_stable(self, event_store: Any) -> None:
        await self._interleaved(event_store, streams=24, per_stream=2)
        every = {e.event_id for e in await collect(event_store.stream_all())}
        seen: set[Any] = set()
        for index in range(4):
            chunk = await collect(event_store.stream_all(partition=index, total_partitions=4, batch_size=5))
            again = await collect(event_store.stream_all(partition=index, total_partitions=4))
            assert [e.event_id for e in chunk] == [e.event_id for e in again]
            positions = [e.sequence_number for e in chunk]
            assert positions == sorted(positions)
            assert {partition_of(e.order_id, 4) for e in chunk} <= {index}
            ids = {e.event_id for e in chunk}
            assert not ids & seen
            seen |= ids
        assert seen == every

    async def test_partition_arguments_are_checked(self, event_store: Any) -> None:
        for arguments in (
            {"partition": 0},
            {"total_partitions": 2},
            {"partition": 2, "total_partitions": 2},
            {"partition": -1, "total_partitions": 2},
            {"partition": 0, "total_partitions": 0},
        ):
            with pytest.raises(ValueError, match="partition"):
                await collect(event_store.stream_all(**arguments))
        with pytest.raises(ValueError, match="from_position"):
            await collect(event_store.stream_all(from_position=-1))
        with pytest.raises(ValueError, match="batch_size"):
            await collect(event_store.stream_all(batch_size=0))

    async def test_stream_by_type_yields_only_those_types_in_order(self, event_store: Any) -> None:
        await event_store.append("a", [placed("a"), item("a"), shipped("a")])
        await event_store.append("b", [placed("b"), item("b", sku="B1"), item("b", sku="B2")])
        items = await collect(event_store.stream_by_type(["ConformanceItemAdded"]))
        assert [e.sku for e in items] == ["SKU-1", "B1", "B2"]
        mixed = await collect(
            event_store.stream_by_type(["ConformanceOrderShipped", "ConformanceOrderPlaced"])
        )
        assert [(type(e).__name__, e.order_id) for e in mixed] == [
            ("ConformanceOrderPlaced", "a"),
            ("ConformanceOrderShipped", "a"),
            ("ConformanceOrderPlaced", "b"),
        ]
        later = await collect(
            event_store.stream_by_type(["ConformanceItemAdded"], from_position=items[0].sequence_number)
        )
        assert [e.sku for e in later] == ["B1", "B2"]
        assert await collect(event_store.stream_by_type(["NoSuchEvent"])) == []
        assert await collect(event_store.stream_by_type([])) == []

    async def test_stream_by_type_reads_past_one_batch(self, event_store: Any) -> None:
        await fill_stream(event_store, "many", 250)
        await event_store.append("many", [placed("many")])
        assert len(await collect(event_store.stream_by_type(["ConformanceItemAdded"]))) == 250
        (last,) = await collect(event_store.stream_by_type(["ConformanceOrderPlaced"]))
        assert last.order_id == "many"
