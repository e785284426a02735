"""W5 aggregate-load: an aggregate with 1,000 events, (a) full replay, (b) from a snapshot at v1000.

Ours: ``EventSourcingRepository.get`` (a) without a snapshot store, (b) with one holding a snapshot
taken at v1000 by ``force_snapshot``; on memory (``InMemoryEventStore``), SQLite and PostgreSQL.

Raw baselines:
* memory: (a) a hand-written fold over the same 1,000 event objects; (b) is reported against our
  own (a), as before (its ratio is snapshot/replay).
* SQLite and PostgreSQL: (a) the raw read of W4 (the stream's rows, ``orjson.loads`` per payload)
  folded by hand over the dicts; (b) the newest row of a snapshot table with the store's schema,
  its JSON state decoded, then the raw read of the events after its version (none), folded.

eventsourcing (when installed): an ``Application`` with an ``Aggregate`` folding the same fields
(POPO for memory), ``repository.get`` before and after ``take_snapshot``. Its basket has 1,001
events: its created event and the 1,000 orders.

Every load is timed in a loop of ``loads`` loads; the best loop of ``repeats`` is reported (ms
per load). ``extra.replay_over_snapshot`` is the a/b ratio.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from typing import Any

from bench.common import EVENTSOURCING, LEXIGRAM, RAW, Figure, ItemOrdered, clock, interleaved, make_events
from bench.context import BenchContext
from bench.lexigram_side import LexigramSide
from bench.lineup import figures, side_factories
from lexigram.events import (
    AggregateRoot,
    EventSourcingRepository,
    InMemoryEventStore,
    InMemorySnapshotStore,
)

NAME = "W5 aggregate-load"
BASKET = "basket-1"


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
    """The in-memory baseline: the same state changes over event objects, by hand."""
    state = {"items": 0, "quantity": 0, "last_sku": ""}
    for event in events:
        state["items"] += 1
        state["quantity"] += event.qty
        state["last_sku"] = event.sku
    return state


def fold_documents(documents: list[dict[str, Any]], state: dict[str, Any] | None = None) -> dict[str, Any]:
    """The durable baselines: the same state changes over decoded payload dicts, by hand."""
    state = state if state is not None else {"items": 0, "quantity": 0, "last_sku": ""}
    for document in documents:
        state["items"] += 1
        state["quantity"] += document["qty"]
        state["last_sku"] = document["sku"]
    return state


Load = Callable[[], Awaitable[Any]]


def timed(load: Load, loads: int, check: Callable[[Any], bool]) -> Callable[[int], Awaitable[float]]:
    """A run of ``loads`` loads, returning seconds per load; the first (untimed) load is checked."""

    async def run(_attempt: int) -> float:
        assert check(await load())
        started = clock()
        for _ in range(loads):
            await load()
        return (clock() - started) / loads

    return run


async def _lexigram_repositories(
    store: Any, snapshots: Any, events: list[ItemOrdered]
) -> tuple[EventSourcingRepository[Basket], EventSourcingRepository[Basket]]:
    basket = Basket(BASKET)
    for event in events:
        basket._apply(event)
    await EventSourcingRepository(Basket, store).save(basket)
    replaying = EventSourcingRepository(Basket, store)
    snapshotting = EventSourcingRepository(Basket, store, snapshot_store=snapshots)
    return replaying, snapshotting


def _eventsourcing_app(context: BenchContext, backend: str, events: list[ItemOrdered]) -> Any:
    from bench.eventsourcing_side import BasketApplication

    application = BasketApplication(context, backend, context.tag("w5e"))
    application.open(events)
    return application


def _es_load(application: Any) -> Load:
    async def load() -> Any:
        return application.load()

    return load


def _results(
    replay: dict[str, list[float]], snapshot: dict[str, list[float]], backend: str, count: int, note: str
) -> list[Figure]:
    ms = {subject: [value * 1e3 for value in values] for subject, values in replay.items()}
    snap_ms = {subject: [value * 1e3 for value in values] for subject, values in snapshot.items()}
    extra = {
        subject: {"replay_over_snapshot": round(min(ms[subject]) / min(snap_ms[subject]), 2)}
        for subject in snap_ms
        if subject != RAW
    }
    extra.setdefault(LEXIGRAM, {})["snapshot_raw"] = note
    return [
        *figures(NAME, backend, f"replay {count} events", "ms", ms, lower_is_better=True),
        *figures(NAME, backend, f"snapshot at v{count}", "ms", snap_ms, lower_is_better=True, extra=extra),
    ]


async def _memory(context: BenchContext, count: int, loads: int) -> list[Figure]:
    events = make_events(count)
    store, snapshots = InMemoryEventStore(max_events_per_stream=0), InMemorySnapshotStore()
    replaying, snapshotting = await _lexigram_repositories(store, snapshots, events)
    stored = await store.read(BASKET)

    async def raw_load() -> dict[str, Any]:
        return raw_fold(stored)

    def ours(repository: EventSourcingRepository[Basket]) -> Load:
        return lambda: repository.get(BASKET)

    def full(basket: Any) -> bool:
        return basket is not None and basket.version == count

    runs = {
        LEXIGRAM: timed(ours(replaying), loads, full),
        RAW: timed(raw_load, loads, lambda s: s["items"] == count),
    }
    application = _eventsourcing_app(context, "memory", events) if context.eventsourcing else None
    if application is not None:
        runs[EVENTSOURCING] = timed(_es_load(application), loads, lambda b: b.items == count)
    replay = await interleaved(context.repeats, runs)
    await snapshotting.force_snapshot(await replaying.get_or_raise(BASKET))
    snapshot_runs = {LEXIGRAM: timed(ours(snapshotting), loads, full)}
    if application is not None:
        application.snapshot()
        snapshot_runs[EVENTSOURCING] = timed(_es_load(application), loads, lambda b: b.items == count)
        await application.close()
    snapshot = await interleaved(context.repeats, snapshot_runs)
    snapshot[RAW] = replay[LEXIGRAM]
    return _results(replay, snapshot, "memory", count, "memory: raw column is our full replay")


async def _durable(context: BenchContext, backend: str, count: int, loads: int) -> list[Figure]:
    events = make_events(count)
    ours = LexigramSide(context, backend, context.tag("w5l"))
    raw: Any = side_factories(context, backend, "w5")[RAW]()
    await ours.open()
    await raw.open()
    application = None
    try:
        replaying, snapshotting = await _lexigram_repositories(ours.store, ours.snapshots, events)
        (documents,) = raw.prepare([(BASKET, 0, events)])
        await raw.append(BASKET, documents, 0)
        if context.eventsourcing:
            application = _eventsourcing_app(context, backend, events)

        async def raw_replay() -> dict[str, Any]:
            return fold_documents(await raw.read_stream(BASKET))

        async def raw_snapshot() -> dict[str, Any]:
            version, state = await raw.load_snapshot(BASKET)
            return fold_documents(await raw.read_stream(BASKET, after_version=version), state)

        def full(basket: Any) -> bool:
            return basket is not None and basket.version == count

        runs = {
            LEXIGRAM: timed(lambda: replaying.get(BASKET), loads, full),
            RAW: timed(raw_replay, loads, lambda s: s["items"] == count),
        }
        if application is not None:
            runs[EVENTSOURCING] = timed(_es_load(application), loads, lambda b: b.items == count)
        replay = await interleaved(context.repeats, runs)

        await snapshotting.force_snapshot(await replaying.get_or_raise(BASKET))
        await raw.save_snapshot(BASKET, count, fold_documents(await raw.read_stream(BASKET)))
        snapshot_runs = {
            LEXIGRAM: timed(lambda: snapshotting.get(BASKET), loads, full),
            RAW: timed(raw_snapshot, loads, lambda s: s["items"] == count),
        }
        if application is not None:
            application.snapshot()
            snapshot_runs[EVENTSOURCING] = timed(_es_load(application), loads, lambda b: b.items == count)
        snapshot = await interleaved(context.repeats, snapshot_runs)
    finally:
        await ours.close()
        await raw.close()
        if application is not None:
            await application.close()
    note = "raw column: newest snapshot row decoded + raw read of the later events (none)"
    return _results(replay, snapshot, backend, count, note)


def run(context: BenchContext) -> list[Figure]:
    """Run W5 on memory and every chosen durable backend (1,000 events; 50 with --quick)."""
    count = 50 if context.quick else 1000
    loads = 5 if context.quick else 100
    made = asyncio.run(_memory(context, count, loads))
    for backend in context.durable_backends():
        made.extend(asyncio.run(_durable(context, backend, count, loads)))
    return made
