"""Conformance checks for appending: versions, optimistic concurrency and atomicity."""

from __future__ import annotations

import asyncio
from typing import Any, ClassVar

import pytest

from lexigram.events.exceptions import ConcurrencyError
from lexigram.events.testing.contract_support import collect, item, placed, shipped

__all__ = ["AppendingContract"]


class AppendingContract:
    """Appending to streams. Needs an ``event_store`` fixture giving a new, empty store."""

    concurrent_appenders: ClassVar[int] = 50
    """How many tasks append to one stream at once in the concurrency checks."""
    racing_creators: ClassVar[int] = 10
    """How many tasks race to create one stream with ``expected_version=0``."""

    async def test_the_fixture_gives_an_empty_store(self, event_store: Any) -> None:
        assert await event_store.get_stream_ids() == []
        assert await event_store.read_all() == []

    async def test_versions_start_at_1_and_count_the_events(self, event_store: Any) -> None:
        assert await event_store.get_stream_version("o-1") == 0
        assert await event_store.append("o-1", [placed()]) == 1
        assert await event_store.append("o-1", [item(), item(sku="SKU-2")]) == 3
        assert await event_store.get_stream_version("o-1") == 3
        assert await event_store.get_stream_version("o-2") == 0

    async def test_expected_version_none_appends_at_any_version(self, event_store: Any) -> None:
        for expected_total in range(1, 4):
            assert await event_store.append("o-1", [item()], expected_version=None) == expected_total

    async def test_expected_version_0_requires_a_stream_that_never_had_events(self, event_store: Any) -> None:
        assert await event_store.append("o-1", [placed()], expected_version=0) == 1
        with pytest.raises(ConcurrencyError):
            await event_store.append("o-1", [item()], expected_version=0)
        await event_store.compact("o-1", 1)
        with pytest.raises(ConcurrencyError):
            await event_store.append("o-1", [item()], expected_version=0)

    async def test_expected_version_must_equal_the_current_version(self, event_store: Any) -> None:
        await event_store.append("o-1", [placed(), item()])
        assert await event_store.append("o-1", [item()], expected_version=2) == 3
        with pytest.raises(ConcurrencyError) as caught:
            await event_store.append("o-1", [item()], expected_version=2)
        error = caught.value
        assert (error.stream_id, error.expected_version, error.actual_version) == ("o-1", 2, 3)
        assert "o-1" in str(error)
        assert "2" in str(error)
        assert "3" in str(error)

    async def test_a_failed_append_writes_nothing(self, event_store: Any) -> None:
        await event_store.append("o-1", [placed()])
        with pytest.raises(ConcurrencyError):
            await event_store.append("o-1", [item(), item(), item()], expected_version=5)
        with pytest.raises(ConcurrencyError):
            await event_store.append("o-2", [item("o-2")], expected_version=1)
        assert await event_store.get_stream_version("o-1") == 1
        assert len(await event_store.read("o-1")) == 1
        assert not await event_store.stream_exists("o-2")
        logged = [e.sequence_number for e in await event_store.read_all()]
        assert len(logged) == 1
        if getattr(self, "positions_are_gapless", True):
            assert logged == [1]
        assert await event_store.append("o-1", [item()], expected_version=1) == 2

    async def test_an_empty_append_writes_nothing_and_returns_the_version(self, event_store: Any) -> None:
        assert await event_store.append("o-1", []) == 0
        assert not await event_store.stream_exists("o-1")
        await event_store.append("o-1", [placed(), item()])
        assert await event_store.append("o-1", []) == 2
        assert await event_store.append("o-1", [], expected_version=2) == 2
        assert len(await event_store.read_all()) == 2

    async def test_concurrent_appenders_get_contiguous_versions(self, event_store: Any) -> None:
        count = self.concurrent_appenders
        versions = await asyncio.gather(
            *(event_store.append("hot", [item("hot", sku=f"SKU-{n}")]) for n in range(count))
        )
        assert sorted(versions) == list(range(1, count + 1))
        stored = await event_store.read("hot")
        assert len(stored) == count
        assert sorted(e.sku for e in stored) == sorted(f"SKU-{n}" for n in range(count))
        assert await event_store.get_stream_version("hot") == count

    async def test_racing_creators_have_exactly_one_winner(self, event_store: Any) -> None:
        outcomes = await asyncio.gather(
            *(
                event_store.append("new", [placed("new", note=f"creator {n}")], expected_version=0)
                for n in range(self.racing_creators)
            ),
            return_exceptions=True,
        )
        winners = [outcome for outcome in outcomes if outcome == 1]
        losers = [outcome for outcome in outcomes if isinstance(outcome, ConcurrencyError)]
        assert len(winners) == 1, outcomes
        assert len(losers) == self.racing_creators - 1, outcomes
        assert all(loser.expected_version == 0 and loser.actual_version == 1 for loser in losers)
        assert len(await event_store.read("new")) == 1

    async def test_writers_checking_versions_never_lose_an_event(self, event_store: Any) -> None:
        async def writer(n: int) -> bool:
            version = await event_store.get_stream_version("contended")
            try:
                await event_store.append(
                    "contended", [item("contended", sku=f"W{n}")], expected_version=version
                )
            except ConcurrencyError:
                return False
            return True

        results = await asyncio.gather(*(writer(n) for n in range(self.racing_creators)))
        stored = await event_store.read("contended")
        assert len(stored) == sum(results) == await event_store.get_stream_version("contended")

    async def test_bad_arguments_are_rejected_before_anything_is_written(self, event_store: Any) -> None:
        for expected_version in (-1, "1", 1.5, True):
            with pytest.raises(ValueError, match="expected_version"):
                await event_store.append("o-1", [item()], expected_version=expected_version)
        with pytest.raises(TypeError):
            await event_store.append("o-1", [item(), {"not": "an event"}])
        with pytest.raises(ValueError, match="stream_id"):
            await event_store.append("", [item()])
        assert await event_store.read_all() == []

    async def test_append_without_a_stream_id_uses_the_events_stream(self, event_store: Any) -> None:
        assert await event_store.append(placed("o-7")) == 1  # first payload field ending in _id
        assert await event_store.append([item("o-7"), item("o-7")]) == 3
        assert await event_store.append(shipped("x", aggregate_id="agg-1")) == 1
        assert await event_store.get_stream_version("o-7") == 3
        assert await event_store.get_stream_version("agg-1") == 1
        with pytest.raises(ValueError, match="different streams"):
            await event_store.append([item("o-1"), item("o-2")])

    async def test_save_is_append_and_get_events_reads_an_aggregate(self, event_store: Any) -> None:
        assert await event_store.save("o-1", [placed()], expected_version=0) == 1
        assert await event_store.save(item("o-1")) == 2
        assert [type(e).__name__ for e in await event_store.get_events(aggregate_id="o-1")] == [
            "ConformanceOrderPlaced",
            "ConformanceItemAdded",
        ]
        assert await event_store.find_by_aggregate("o-1") == await event_store.read("o-1")
        assert [e.sku for e in await event_store.load("o-1", 1)] == ["SKU-1"]

    async def test_the_global_log_records_commit_order(self, event_store: Any) -> None:
        await event_store.append("a", [placed("a")])
        await event_store.append("b", [placed("b"), item("b")])
        await event_store.append("a", [item("a")])
        assert [(e.order_id, type(e).__name__) for e in await collect(event_store.stream_all())] == [
            ("a", "ConformanceOrderPlaced"),
            ("b", "ConformanceOrderPlaced"),
            ("b", "ConformanceItemAdded"),
            ("a", "ConformanceItemAdded"),
        ]
