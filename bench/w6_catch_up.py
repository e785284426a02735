"""W6 catch-up: read the global log of 100,000 events (10,000 streams) from position 0, in order.

Each side is filled (not timed) with 10,000 appends of 10 events, one per stream. The timed part
reads the whole log from position 0 in batches of ``BATCH`` (1,000) events: ours with
``store.stream_all(0, batch_size=1000)``; the raw baseline with the same keyset query (``position >
last ORDER BY position LIMIT 1000``) and ``orjson.loads`` per payload; eventsourcing with
``select_notifications`` batches of 1,000, each mapped to its domain event. The extra "raw + typed
events" figure builds typed events in the raw read as in W4.
"""

from __future__ import annotations

import asyncio
from typing import Any

from bench.common import RAW, Figure, clock, interleaved, make_events
from bench.context import BenchContext
from bench.lineup import close_all, open_all, rate_figures_with_typed, side_factories
from bench.sides import Side

NAME = "W6 catch-up"
BATCH = 1000


async def _fill(side: Side, streams: int, per_stream: int) -> None:
    events = make_events(streams * per_stream)
    plan = [
        (f"w6-{index:05d}", 0, events[index * per_stream : (index + 1) * per_stream])
        for index in range(streams)
    ]
    for (stream, _version, _events), items in zip(plan, side.prepare(plan), strict=True):
        await side.append(stream, items, 0)


async def _measure(context: BenchContext, backend: str, streams: int, per_stream: int) -> list[Figure]:
    total = streams * per_stream
    sides = await open_all(side_factories(context, backend, "w6"))
    try:
        for side in sides.values():
            await _fill(side, streams, per_stream)
        raw: Any = sides[RAW]

        def timed(side: Any, typed: bool = False) -> Any:
            async def run(_attempt: int) -> float:
                started = clock()
                count = await (side.read_all(BATCH, typed=True) if typed else side.read_all(BATCH))
                elapsed = clock() - started
                assert count == total, (count, total)
                return total / elapsed

            return run

        runs = {subject: timed(side) for subject, side in sides.items()}
        runs["typed"] = timed(raw, typed=True)
        results = await interleaved(context.repeats, runs)
    finally:
        await close_all(sides)
    typed = results.pop("typed")
    metric = f"{total:,} events, batch {BATCH}"
    return rate_figures_with_typed(NAME, backend, metric, results, typed)


def run(context: BenchContext) -> list[Figure]:
    """Run W6 on every chosen backend (10,000 streams x 10 events; 200 x 10 with --quick)."""
    streams = 200 if context.quick else 10_000
    made: list[Figure] = []
    for backend in context.durable_backends():
        made.extend(asyncio.run(_measure(context, backend, streams, 10)))
    return made
