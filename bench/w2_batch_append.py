"""W2 batch-append: 1 stream, 100 appends of 100 events each, expected_version checked.

Every side appends the same 10,000 events to one stream of fresh tables, 100 at a time, each
append expecting the version the previous one left. One warm-up append to another stream first.
"""

from __future__ import annotations

import asyncio

from bench.common import Figure, clock, interleaved, make_events
from bench.context import BenchContext
from bench.lineup import figures, fresh_runs, side_factories
from bench.sides import Side

NAME = "W2 batch-append"


async def _run(side: Side, appends: int, size: int) -> float:
    events = make_events(appends * size)
    plan = [
        ("w2-stream", index * size, events[index * size : (index + 1) * size]) for index in range(appends)
    ]
    warmup = make_events(size)
    (warmup_items,) = side.prepare([("w2-warmup", 0, warmup)])
    await side.append("w2-warmup", warmup_items, 0)
    prepared = side.prepare(plan)
    append = side.append
    started = clock()
    for (stream, version, _events), items in zip(plan, prepared, strict=True):
        assert version is not None
        await append(stream, items, version)
    elapsed = clock() - started
    return appends * size / elapsed


async def _measure(context: BenchContext, backend: str, appends: int, size: int) -> list[Figure]:
    factories = side_factories(context, backend, "w2")
    results = await interleaved(
        context.repeats, fresh_runs(factories, lambda side: _run(side, appends, size))
    )
    metric = f"{appends} x {size} events"
    return figures(NAME, backend, metric, "ev/s", results, lower_is_better=False)


def run(context: BenchContext) -> list[Figure]:
    """Run W2 on every chosen backend (100 x 100 events; 10 x 10 with --quick)."""
    appends, size = (10, 10) if context.quick else (100, 100)
    made: list[Figure] = []
    for backend in context.durable_backends():
        made.extend(asyncio.run(_measure(context, backend, appends, size)))
    return made
