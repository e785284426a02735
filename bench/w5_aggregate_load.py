"""W5 aggregate-load: an aggregate with 1,000 events, (a) full replay, (b) from a snapshot at v1000.

The raw baseline for (a) folds the same 1,000 event objects with a hand-written loop (no framework);
(b) is reported against (a), whose ratio a/b is the point of snapshots.
"""

from __future__ import annotations

import asyncio
from typing import Any

from bench.common import Figure, ItemOrdered, best_of, clock, make_event
from lexigram.events import (
    AggregateRoot,
    EventSourcingRepository,
    InMemoryEventStore,
    InMemorySnapshotStore,
)


class Basket(AggregateRoot):
    """The benchmark aggregate: counts items and sums quantities."""

    items: int = 0
    quantity: int = 0
    last_sku: str = ""

    def _handle_item_ordered(self, event: ItemOrdered) -> None:
        self.items += 1
        self.quantity += event.qty
        self.last_sku = event.sku


def raw_fold(events: list[Any]) -> dict[str, Any]:
    """The baseline: the same state changes, by hand."""
    state = {"items": 0, "quantity": 0, "last_sku": ""}
    for event in events:
        state["items"] += 1
        state["quantity"] += event.qty
        state["last_sku"] = event.sku
    return state


async def _measure(count: int, repeats: int) -> list[Figure]:
    store, snapshots = InMemoryEventStore(max_events_per_stream=0), InMemorySnapshotStore()
    basket = Basket("basket-1")
    for index in range(count):
        basket._apply(make_event(index))
    await EventSourcingRepository(Basket, store).save(basket)
    events = await store.read("basket-1")
    replaying = EventSourcingRepository(Basket, store)
    snapshotting = EventSourcingRepository(Basket, store, snapshot_store=snapshots)
    await snapshotting.force_snapshot(await replaying.get_or_raise("basket-1"))

    async def timed(repository: EventSourcingRepository[Basket], loads: int) -> float:
        start = clock()
        for _ in range(loads):
            loaded = await repository.get("basket-1")
            assert loaded is not None
            assert loaded.version == count
        return (clock() - start) / loads

    def timed_raw(loads: int) -> float:
        start = clock()
        for _ in range(loads):
            raw_fold(events)
        return (clock() - start) / loads

    loads = max(3, 2000 // max(count, 1))
    replay = min([await timed(replaying, loads) for _ in range(repeats)])
    raw = best_of(repeats, lambda: timed_raw(loads))
    snapshot = min([await timed(snapshotting, loads) for _ in range(repeats)])
    return [
        Figure("W5 aggregate-load", "memory", f"replay {count} events", replay * 1e3, raw * 1e3, "ms"),
        Figure(
            "W5 aggregate-load",
            "memory",
            f"snapshot at v{count}",
            snapshot * 1e3,
            replay * 1e3,
            "ms",
            extra={"note": "raw column is the full replay; ratio is snapshot/replay"},
        ),
    ]


def run(quick: bool) -> list[Figure]:
    """Run W5 (1,000 events; 50 with --quick)."""
    return asyncio.run(_measure(50 if quick else 1000, 2 if quick else 7))
