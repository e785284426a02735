"""Projections on the in-memory store: shapes, catch-up to live, checkpoints, failures, rebuilds."""

from __future__ import annotations

import asyncio
from typing import Any

import pytest

from lexigram.contracts.domain import DomainEvent
from lexigram.events import InMemoryEventStore
from lexigram.events.config import ProjectionsConfig
from lexigram.events.exceptions import ProjectionBuildError, ProjectionNotFoundError
from lexigram.events.projections import (
    ErrorPolicy,
    ProjectionManager,
    RebuildProgress,
    is_replaying,
)
from lexigram.events.stores.memory.checkpoint_store import InMemoryCheckpointStore
from lexigram.events.types import ProjectionState


class OrderPlaced(DomainEvent):
    order_id: str
    total: int


class OrderShipped(DomainEvent):
    order_id: str


class CustomerRenamed(DomainEvent):
    customer_id: str
    name: str


class OrderTotals:
    """A plain projection: a synchronous ``apply`` whose annotation says what it handles."""

    def __init__(self) -> None:
        self.totals: dict[str, int] = {}
        self.seen: list[int] = []

    def apply(self, event: OrderPlaced) -> None:
        self.totals[event.order_id] = event.total
        assert event.sequence_number is not None
        self.seen.append(event.sequence_number)

    def reset(self) -> None:
        self.totals.clear()
        self.seen.clear()


class ShippingBoard:
    """An async ``handle_event`` with an explicit ``handles`` set of type names."""

    handles = {"OrderShipped"}

    def __init__(self) -> None:
        self.shipped: list[str] = []

    async def handle_event(self, event: Any) -> None:
        self.shipped.append(event.order_id)


def config(**changes: Any) -> ProjectionsConfig:
    values: dict[str, Any] = {"batch_size": 10, "poll_interval": 0.05, "checkpoint_interval": 5}
    values.update(changes)
    return ProjectionsConfig(**values)


async def place(store: InMemoryEventStore, count: int, *, start: int = 0, stream: str | None = None) -> None:
    for number in range(start, start + count):
        order = f"o-{number}"
        await store.append(stream or order, [OrderPlaced(order_id=order, total=number)])


async def test_a_projection_catches_up_then_follows_the_log_live() -> None:
    store = InMemoryEventStore()
    await place(store, 25)
    manager = ProjectionManager(event_store=store, config=config())
    totals = OrderTotals()
    manager.register(totals)
    await manager.start()
    await manager.wait_until_live("OrderTotals")
    assert len(totals.totals) == 25
    assert (await manager.get_status("OrderTotals"))["state"] is ProjectionState.LIVE

    await place(store, 3, start=25)
    await manager.wait_for_position(28, "OrderTotals")
    assert totals.seen == list(range(1, 29))  # every event once, in order, across the switch to live
    await manager.stop()
    status = await manager.get_status("OrderTotals")
    assert status["state"] is ProjectionState.STOPPED
    assert status["position"] == 28


async def test_a_restarted_projection_resumes_from_its_checkpoint() -> None:
    store = InMemoryEventStore()
    checkpoints = InMemoryCheckpointStore()
    await place(store, 12)
    first = OrderTotals()
    manager = ProjectionManager(event_store=store, checkpoint_store=checkpoints, config=config())
    manager.register(first)
    await manager.start()
    await manager.wait_until_live()
    await manager.stop()

    await place(store, 4, start=12)
    second = OrderTotals()
    restarted = ProjectionManager(event_store=store, checkpoint_store=checkpoints, config=config())
    restarted.register(second)
    await restarted.start()
    await restarted.wait_for_position(16)
    await restarted.stop()
    assert second.seen == [13, 14, 15, 16]  # nothing before the checkpoint again


async def test_projections_only_see_the_events_they_handle_and_the_checkpoint_passes_the_rest() -> None:
    store = InMemoryEventStore()
    await store.append("o-1", [OrderPlaced(order_id="o-1", total=5), OrderShipped(order_id="o-1")])
    await store.append("c-1", [CustomerRenamed(customer_id="c-1", name="Ada")])
    manager = ProjectionManager(event_store=store, config=config())
    board, totals = ShippingBoard(), OrderTotals()
    manager.register(board)
    manager.register(totals)
    await manager.start()
    await manager.wait_until_live()
    await manager.stop()
    assert board.shipped == ["o-1"]
    assert totals.totals == {"o-1": 5}
    assert (await manager.get_status("ShippingBoard"))["position"] == 3


async def test_a_batch_projection_gets_whole_batches() -> None:
    class Counter:
        handles = (OrderPlaced,)

        def __init__(self) -> None:
            self.batches: list[int] = []

        async def apply_batch(self, events: list[Any]) -> None:
            self.batches.append(len(events))

    store = InMemoryEventStore()
    await place(store, 25)
    manager = ProjectionManager(event_store=store, config=config(batch_size=10))
    counter = Counter()
    manager.register(counter)
    await manager.start()
    await manager.wait_until_live()
    await manager.stop()
    assert counter.batches == [10, 10, 5]


async def test_a_failing_projection_stops_faulted_with_its_error_visible() -> None:
    class Fragile(OrderTotals):
        def apply(self, event: OrderPlaced) -> None:
            if event.order_id == "o-3":
                raise RuntimeError("no such customer")
            super().apply(event)

    store = InMemoryEventStore()
    await place(store, 6)
    manager = ProjectionManager(event_store=store, config=config())
    fragile, healthy = Fragile(), OrderTotals()
    manager.register(fragile)
    manager.register(healthy, name="healthy")
    await manager.start()
    with pytest.raises(ProjectionBuildError, match="no such customer"):
        await manager.wait_until_live("Fragile")
    await manager.wait_until_live("healthy")
    status = await manager.get_status("Fragile")
    assert status["state"] is ProjectionState.FAULTED
    assert "RuntimeError: no such customer" in status["error"]
    assert status["position"] == 3  # the checkpoint stays before the failed event
    assert len(healthy.totals) == 6
    assert manager.health()["faulted"] == ["Fragile"]
    await manager.stop()


async def test_a_retry_policy_rides_out_a_transient_failure() -> None:
    class Flaky(OrderTotals):
        error_policy = ErrorPolicy.retry(3, backoff=0.001)

        def __init__(self) -> None:
            super().__init__()
            self.failures = 2

        def apply(self, event: OrderPlaced) -> None:
            if event.order_id == "o-1" and self.failures:
                self.failures -= 1
                raise ConnectionError("read model briefly unavailable")
            super().apply(event)

    store = InMemoryEventStore()
    await place(store, 3)
    manager = ProjectionManager(event_store=store, config=config())
    flaky = Flaky()
    manager.register(flaky)
    await manager.start()
    await manager.wait_until_live()
    await manager.stop()
    assert flaky.seen == [1, 2, 3]


async def test_a_poison_event_parks_only_its_own_stream() -> None:
    class Picky(OrderTotals):
        error_policy = ErrorPolicy.skip()
        broken = True

        def apply(self, event: OrderPlaced) -> None:
            if event.total == 13 and self.broken:
                raise ValueError("total 13 is unlucky")
            super().apply(event)

    store = InMemoryEventStore()
    for number in range(10, 16):  # two streams, interleaved: a has 10, 12, 14; b has 11, 13, 15
        stream = "a" if number % 2 == 0 else "b"
        await store.append(stream, [OrderPlaced(order_id=f"{stream}-{number}", total=number)])
    manager = ProjectionManager(event_store=store, config=config())
    picky = Picky()
    manager.register(picky)
    await manager.start()
    await manager.wait_until_live()
    assert sorted(picky.totals.values()) == [10, 11, 12, 14]  # b stops at its poison event, a flows
    parked = await manager.list_parked("Picky")
    assert [(p.position, p.stream_id, p.blocked_by) for p in parked] == [(4, "b", None), (6, "b", 4)]
    assert "total 13 is unlucky" in parked[0].error
    status = await manager.get_status("Picky")
    assert status["state"] is ProjectionState.LIVE
    assert status["blocked_streams"] == ["b"]

    await store.append("b", [OrderPlaced(order_id="b-17", total=17)])  # still held back, in order
    await store.append("a", [OrderPlaced(order_id="a-16", total=16)])
    await manager.wait_for_position(8)
    assert 17 not in picky.totals.values()
    assert 16 in picky.totals.values()

    picky.broken = False
    assert await manager.retry_parked("Picky", 4) is True
    assert picky.seen[-3:] == [4, 6, 7]  # the poison event, then what its stream held back, in order
    assert await manager.list_parked("Picky") == []
    await store.append("b", [OrderPlaced(order_id="b-18", total=18)])
    await manager.wait_for_position(9)
    assert 18 in picky.totals.values()
    await manager.stop()


async def test_skipping_a_parked_event_releases_its_stream() -> None:
    class Picky(OrderTotals):
        error_policy = ErrorPolicy.skip()

        def apply(self, event: OrderPlaced) -> None:
            if event.total == 1:
                raise ValueError("bad event")
            super().apply(event)

    store = InMemoryEventStore()
    await store.append("s", [OrderPlaced(order_id="s", total=n) for n in (0, 1, 2, 3)])
    manager = ProjectionManager(event_store=store, config=config())
    picky = Picky()
    manager.register(picky)
    await manager.start()
    await manager.wait_until_live()
    assert picky.seen == [1]
    with pytest.raises(ProjectionBuildError, match="waits behind"):
        await manager.skip_parked("Picky", 3)
    assert await manager.skip_parked("Picky", 2) is True
    assert picky.seen == [1, 3, 4]
    assert await manager.list_parked() == []
    await manager.stop()


async def test_rebuild_replays_everything_in_batches_and_reports_progress() -> None:
    store = InMemoryEventStore()
    await place(store, 25)
    manager = ProjectionManager(event_store=store, config=config(rebuild_batch_size=10))
    totals = OrderTotals()
    manager.register(totals)
    await manager.start()
    await manager.wait_until_live()
    totals.totals["stale"] = -1
    reports: list[RebuildProgress] = []
    assert await manager.rebuild("OrderTotals", progress=reports.append) == 25
    assert "stale" not in totals.totals
    assert len(totals.totals) == 25
    assert [(r.events_read, r.position) for r in reports] == [(10, 10), (20, 20), (25, 25)]
    await place(store, 1, start=25)  # the subscription resumed after the rebuild
    await manager.wait_for_position(26)
    assert totals.seen == list(range(1, 27))
    await manager.stop()


async def test_a_new_version_builds_beside_the_old_one_and_is_activated_once_caught_up() -> None:
    class Totals:
        def __init__(self, version: int, live: dict[str, Any]) -> None:
            self.version = version
            self.name = "totals"
            self.live = live
            self.building: dict[str, int] = {}
            self.replay_flags: list[bool] = []

        def apply(self, event: OrderPlaced) -> None:
            self.replay_flags.append(is_replaying())
            self.building[event.order_id] = event.total * self.version

        def activate(self) -> None:
            self.live["current"] = self.building  # readers switch in one step

    store = InMemoryEventStore()
    checkpoints = InMemoryCheckpointStore()
    await place(store, 20)
    readers: dict[str, Any] = {}
    v1 = Totals(1, readers)
    manager = ProjectionManager(event_store=store, checkpoint_store=checkpoints, config=config())
    manager.register(v1)
    await manager.start()
    await manager.wait_until_live()
    await manager.stop()
    assert readers["current"] is v1.building
    assert readers["current"]["o-5"] == 5

    v2 = Totals(2, readers)
    upgraded = ProjectionManager(event_store=store, checkpoint_store=checkpoints, config=config())
    upgraded.register(v2)
    assert (await upgraded.get_status("totals"))["state"] is ProjectionState.STOPPED
    await upgraded.start()
    await upgraded.wait_until_live()
    assert readers["current"] is v2.building
    assert readers["current"]["o-5"] == 10
    assert all(v2.replay_flags)  # side effects can tell history is being replayed
    await place(store, 1, start=20)
    await upgraded.wait_for_position(21)
    assert v2.replay_flags[-1] is False
    await upgraded.stop()
    names = {c.projection_name for c in await checkpoints.list_checkpoints()}
    assert names == {"totals", "totals@v2"}


async def test_a_slow_projection_reads_no_further_ahead_than_its_buffer() -> None:
    gate = asyncio.Event()

    class Slow(OrderTotals):
        async def apply(self, event: OrderPlaced) -> None:  # type: ignore[override]
            await gate.wait()
            super().apply(event)

    store = InMemoryEventStore()
    await place(store, 100)
    manager = ProjectionManager(event_store=store, config=config(batch_size=5, read_ahead_batches=2))
    slow = Slow()
    manager.register(slow)
    await manager.start()
    await asyncio.sleep(0.1)
    status = await manager.get_status("Slow")
    assert status["buffered_batches"] <= 2
    assert status["state"] is ProjectionState.CATCHING_UP
    gate.set()
    await manager.wait_until_live()
    assert len(slow.totals) == 100
    await manager.stop()


async def test_without_parallel_projections_only_one_applies_at_a_time() -> None:
    active = 0
    overlaps = 0

    class Careful:
        def __init__(self, name: str) -> None:
            self.name = name

        async def apply(self, event: OrderPlaced) -> None:
            nonlocal active, overlaps
            active += 1
            overlaps += active > 1
            await asyncio.sleep(0)
            active -= 1

    store = InMemoryEventStore()
    await place(store, 30)
    manager = ProjectionManager(event_store=store, config=config(enable_parallel_projections=False))
    for name in ("one", "two", "three"):
        manager.register(Careful(name))
    await manager.start()
    await manager.wait_until_live()
    await manager.stop()
    assert overlaps == 0


async def test_process_pushes_single_events_idempotently() -> None:
    store = InMemoryEventStore()
    manager = ProjectionManager(event_store=store)
    totals = OrderTotals()
    manager.register(totals)
    await store.append("o-1", [OrderPlaced(order_id="o-1", total=3)])
    (stored,) = await store.read("o-1")
    assert await manager.process(stored) == ["OrderTotals"]
    assert await manager.process(stored) == []  # at or below the checkpoint: skipped
    with pytest.raises(ValueError, match="position"):
        await manager.process(OrderPlaced(order_id="o-2", total=1))


async def test_bad_names_and_duplicates_are_reported_clearly() -> None:
    manager = ProjectionManager(event_store=InMemoryEventStore())
    manager.register(OrderTotals())
    with pytest.raises(ValueError, match="already registered"):
        manager.register(OrderTotals())
    with pytest.raises(ProjectionNotFoundError, match="registered: OrderTotals"):
        await manager.get_status("Nope")
    with pytest.raises(TypeError, match="is not a projection"):
        manager.register(object())
    with pytest.raises(ProjectionBuildError, match="no event_store"):
        await ProjectionManager().start()


async def test_checkpoints_are_saved_every_checkpoint_interval_events_and_when_live() -> None:
    class RecordingCheckpoints(InMemoryCheckpointStore):
        def __init__(self) -> None:
            super().__init__()
            self.saved: list[int] = []

        async def save(self, checkpoint: Any) -> None:
            self.saved.append(checkpoint.position)
            await super().save(checkpoint)

    store = InMemoryEventStore()
    await place(store, 12)
    checkpoints = RecordingCheckpoints()
    manager = ProjectionManager(store, checkpoints, config=config(checkpoint_interval=5, batch_size=100))
    manager.register(OrderTotals())
    await manager.start()
    await manager.wait_until_live()
    assert checkpoints.saved == [5, 10, 12]  # every 5 events, then the rest once caught up
    await manager.stop()
    assert checkpoints.saved[-1] == 12
