"""W4 read-stream: read one 1,000-event stream fully, 100 times.

Each side appends the same 1,000 events to one stream (one append, not timed), reads it once to
warm up, then the 100 reads are timed. Ours returns typed events; the raw baseline returns dicts
(``orjson.loads`` of each payload). The extra "raw + typed events" figure is the raw read with
each event built by the message layer's stored-event path (``typed_event``): the part of our
cost that is building typed events, which the ratio against it leaves out.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from typing import Any

from bench.common import RAW, Figure, clock, interleaved, make_events
from bench.context import BenchContext
from bench.lineup import close_all, open_all, rate_figures_with_typed, side_factories
from bench.sides import Side

NAME = "W4 read-stream"
STREAM = "w4-stream"


async def _fill(side: Side, size: int) -> None:
    (items,) = side.prepare([(STREAM, 0, make_events(size))])
    await side.append(STREAM, items, 0)


def _timed(
    read: Callable[[], Awaitable[list[Any]]], size: int, reads: int
) -> Callable[[int], Awaitable[float]]:
    async def run(_attempt: int) -> float:
        assert len(await read()) == size
        started = clock()
        for _ in range(reads):
            await read()
        return size * reads / (clock() - started)

    return run


async def _measure(context: BenchContext, backend: str, size: int, reads: int) -> list[Figure]:
    sides = await open_all(side_factories(context, backend, "w4"))
    try:
        for side in sides.values():
            await _fill(side, size)
        raw: Any = sides[RAW]
        runs = {
            subject: _timed(lambda s=side: s.read_stream(STREAM), size, reads)
            for subject, side in sides.items()
        }
        runs["typed"] = _timed(lambda: raw.read_stream(STREAM, typed=True), size, reads)
        results = await interleaved(context.repeats, runs)
    finally:
        await close_all(sides)
    typed = results.pop("typed")
    metric = f"{reads} reads of {size:,} events"
    return rate_figures_with_typed(NAME, backend, metric, results, typed)


def run(context: BenchContext) -> list[Figure]:
    """Run W4 on every chosen backend (100 reads of 1,000 events; 5 reads of 100 with --quick)."""
    size, reads = (100, 5) if context.quick else (1000, 100)
    made: list[Figure] = []
    for backend in context.durable_backends():
        made.extend(asyncio.run(_measure(context, backend, size, reads)))
    return made
