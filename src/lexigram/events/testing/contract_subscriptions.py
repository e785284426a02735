"""Conformance checks for following the global log (``EventLogProtocol``).

``read_envelopes`` must return exactly what ``read_all``/``stream_all`` return, each event with its
stream id, stream version and position, with the same paging, partitions and argument errors; and
``appends`` must wake readers after appends without ever losing a wake-up.
"""

from __future__ import annotations

import asyncio
import time
from collections import defaultdict
from typing import Any, ClassVar
from uuid import UUID

import pytest

from lexigram.events.stores.partitioning import partition_of
from lexigram.events.testing.contract_support import collect, item, placed, shipped

__all__ = ["SubscriptionContract"]

_STREAM_UUID = UUID("3f1c2a9e-8b7d-4c6e-9a5f-0d1e2f3a4b5c")


async def _first_envelopes(event_store: Any, after_position: int = 0) -> list[Any]:
    """Read like a live subscriber: read, and when nothing is there wait for an append and read again."""
    generation = event_store.appends.generation
    while True:
        found: list[Any] = await event_store.read_envelopes(after_position, 100)
        if found:
            return found
        generation = await event_store.appends.wait(generation, 30.0)


class SubscriptionContract:
    """Following the global log. Needs an ``event_store`` fixture giving a new, empty store."""

    prompt_wake_seconds: ClassVar[float] = 2.0
    """How soon after an append a waiting reader must have been woken (generous, for slow CI)."""

    async def _mixed_log(self, event_store: Any) -> dict[str, list[Any]]:
        """Interleaved appends to several streams; returns each stream's appended event ids in order."""
        appended: dict[str, list[Any]] = defaultdict(list)
        for round_number in range(3):
            for number in range(5):
                stream = f"order-{number}"
                events: list[Any] = [item(stream, sku=f"R{round_number}")]
                if number % 2:
                    events.append(shipped(stream, tracking=f"T{round_number}"))
                await event_store.append(stream, events)
                appended[stream] += [event.event_id for event in events]
        placed_event = placed(str(_STREAM_UUID))
        await event_store.append(_STREAM_UUID, [placed_event])
        appended[str(_STREAM_UUID)].append(placed_event.event_id)
        return appended

    async def test_envelopes_hold_what_read_all_returns(self, event_store: Any) -> None:
        appended = await self._mixed_log(event_store)
        events = await event_store.read_all()
        envelopes = await event_store.read_envelopes(limit=1000)
        assert len(envelopes) == len(events) == sum(len(ids) for ids in appended.values())
        for envelope, event in zip(envelopes, events, strict=True):
            assert type(envelope.event) is type(event)
            assert envelope.event == event
            assert envelope.event.event_id == event.event_id
            assert envelope.position == event.sequence_number
            assert isinstance(envelope.stream_id, str)
            assert envelope.event.event_id in appended[envelope.stream_id]
            assert envelope.version == appended[envelope.stream_id].index(envelope.event.event_id) + 1
            if hasattr(envelope.event, "version"):
                assert envelope.event.version == envelope.version

    async def test_envelopes_match_each_streams_own_read(self, event_store: Any) -> None:
        appended = await self._mixed_log(event_store)
        by_stream: dict[str, list[Any]] = defaultdict(list)
        for envelope in await event_store.read_envelopes(limit=1000):
            by_stream[envelope.stream_id].append(envelope)
        assert set(by_stream) == set(appended)
        for stream, envelopes in by_stream.items():
            stored = await event_store.read(stream)
            assert [e.version for e in envelopes] == list(range(1, len(stored) + 1))
            assert [e.event.event_id for e in envelopes] == [e.event_id for e in stored]
            assert [e.position for e in envelopes] == [e.sequence_number for e in stored]

    async def test_after_position_is_exclusive_and_limit_bounds_the_batch(self, event_store: Any) -> None:
        await self._mixed_log(event_store)
        every = await event_store.read_envelopes(limit=1000)
        positions = [envelope.position for envelope in every]
        assert await event_store.read_envelopes() == every[:100]
        cut = positions[4]
        after = await event_store.read_envelopes(after_position=cut, limit=3)
        assert [e.position for e in after] == positions[5:8]
        assert [e.position for e in await event_store.read_envelopes(cut, 1)] == positions[5:6]
        assert await event_store.read_envelopes(after_position=positions[-1]) == []
        assert [e.position for e in await event_store.read_envelopes(cut - 1, 1000)] == positions[4:]

    async def test_paging_with_any_limit_reads_the_same_log(self, event_store: Any) -> None:
        await self._mixed_log(event_store)
        every = await event_store.read_envelopes(limit=1000)
        expected = [(e.position, e.stream_id, e.version) for e in every]
        for limit in (1, 4, 7, 1000):
            seen: list[tuple[int, str, int]] = []
            position = 0
            while True:
                batch = await event_store.read_envelopes(position, limit)
                assert len(batch) <= limit
                seen += [(e.position, e.stream_id, e.version) for e in batch]
                if len(batch) < limit:
                    break
                position = batch[-1].position
            assert seen == expected, limit

    async def test_partitions_are_disjoint_complete_and_match_stream_all(self, event_store: Any) -> None:
        for number in range(24):
            await event_store.append(f"stream-{number}", [item(f"stream-{number}")])
            await event_store.append(f"stream-{(number * 7) % 24}", [item(f"stream-{(number * 7) % 24}")])
        every = {e.position for e in await event_store.read_envelopes(limit=1000)}
        seen: set[int] = set()
        for index in range(4):
            envelopes = await event_store.read_envelopes(limit=1000, partition=index, total_partitions=4)
            events = await collect(event_store.stream_all(partition=index, total_partitions=4))
            assert [e.event.event_id for e in envelopes] == [e.event_id for e in events]
            assert {partition_of(e.stream_id, 4) for e in envelopes} <= {index}
            if len(envelopes) > 1:
                paged = await event_store.read_envelopes(
                    envelopes[0].position, 2, partition=index, total_partitions=4
                )
                assert paged == envelopes[1:3]
            positions = {e.position for e in envelopes}
            assert not positions & seen
            seen |= positions
        assert seen == every

    async def test_bad_arguments_are_rejected_like_stream_all(self, event_store: Any) -> None:
        for arguments in (
            {"partition": 0},
            {"total_partitions": 2},
            {"partition": 2, "total_partitions": 2},
            {"partition": -1, "total_partitions": 2},
            {"partition": 0, "total_partitions": 0},
        ):
            with pytest.raises(ValueError, match="partition"):
                await collect(event_store.stream_all(**arguments))
            with pytest.raises(ValueError, match="partition"):
                await event_store.read_envelopes(**arguments)
        for position in (-1, 1.5, True, "3"):
            with pytest.raises(ValueError, match="after_position"):
                await event_store.read_envelopes(after_position=position)
        for limit in (0, -5, 2.0, None):
            with pytest.raises(ValueError, match="limit"):
                await event_store.read_envelopes(limit=limit)

    async def test_each_append_raises_the_signal(self, event_store: Any) -> None:
        before = event_store.appends.generation
        await event_store.append("o-1", [placed()])
        after_one = event_store.appends.generation
        assert after_one > before
        await event_store.append("o-1", [item(), item(sku="SKU-2")])
        assert event_store.appends.generation > after_one

    async def test_wait_returns_at_once_when_an_append_already_happened(self, event_store: Any) -> None:
        generation = event_store.appends.generation
        await event_store.append("o-1", [placed()])
        started = time.monotonic()
        woken = await event_store.appends.wait(generation, 30.0)
        assert woken > generation
        assert time.monotonic() - started < self.prompt_wake_seconds
        assert await event_store.appends.wait(generation) == event_store.appends.generation

    async def test_wait_times_out_without_appends(self, event_store: Any) -> None:
        generation = event_store.appends.generation
        for _ in range(3):  # a store may wake readers once for nothing (a listener connecting)
            started = time.monotonic()
            woken = await event_store.appends.wait(generation, 0.3)
            if woken == generation:
                assert time.monotonic() - started >= 0.25
                break
            generation = woken
        else:
            pytest.fail("appends.wait kept waking up although nothing was appended")
        assert await event_store.appends.wait(generation, 0) == generation

    async def test_a_waiting_reader_is_woken_by_an_append_on_another_task(self, event_store: Any) -> None:
        reader = asyncio.create_task(_first_envelopes(event_store))
        await asyncio.sleep(0.2)
        assert not reader.done()
        event = placed("late")
        await event_store.append("late", [event])
        appended = time.monotonic()
        (envelope,) = await asyncio.wait_for(reader, 30.0)
        assert time.monotonic() - appended < self.prompt_wake_seconds
        assert (envelope.event.event_id, envelope.stream_id, envelope.version) == (event.event_id, "late", 1)

    async def test_every_waiter_is_woken(self, event_store: Any) -> None:
        generation = event_store.appends.generation
        waiters = [asyncio.create_task(event_store.appends.wait(generation, 30.0)) for _ in range(25)]
        await asyncio.sleep(0.05)
        await event_store.append("o-1", [placed()])
        appended = time.monotonic()
        woken = await asyncio.wait_for(asyncio.gather(*waiters), 30.0)
        assert time.monotonic() - appended < self.prompt_wake_seconds
        assert all(generation < value <= event_store.appends.generation for value in woken)
