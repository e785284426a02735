"""W1 new-streams: 10,000 streams, 1 event each, expected_version=0, one writer, one append per call.

Every side appends the same events to fresh tables, one awaited call per stream, timed one by one:
events/s over the whole run, and p50/p99 ms per append. Twenty appends to other streams warm each
side up first (statement preparation, caches) and are not counted.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable, Mapping, Sequence
from typing import Any

from bench.common import Figure, clock, interleaved, make_events, percentile
from bench.context import BenchContext
from bench.lineup import figures, fresh_runs, side_factories
from bench.sides import Side

NAME = "W1 new-streams"
WARMUP = 20
"""Appends before the timed ones (not counted)."""


async def timed_appends(side: Side, events: list[Any], prefix: str) -> tuple[float, float, float]:
    """Append each event to a new stream, one awaited call each, after ``WARMUP`` untimed ones.

    Returns events/s and the p50 and p99 latency per append in ms, over ``len(events) - WARMUP``.
    """
    streams = [f"{prefix}-{index:06d}" for index in range(len(events))]
    prepared = side.prepare([(stream, 0, [event]) for stream, event in zip(streams, events, strict=True)])
    append = side.append
    for stream, items in zip(streams[:WARMUP], prepared[:WARMUP], strict=True):
        await append(stream, items, 0)
    latencies: list[float] = []
    started = clock()
    for stream, items in zip(streams[WARMUP:], prepared[WARMUP:], strict=True):
        before = clock()
        await append(stream, items, 0)
        latencies.append(clock() - before)
    elapsed = clock() - started
    count = len(events) - WARMUP
    return count / elapsed, percentile(latencies, 0.5) * 1e3, percentile(latencies, 0.99) * 1e3


async def _run(side: Side, count: int) -> tuple[float, float, float]:
    return await timed_appends(side, make_events(count + WARMUP), "w1")


def append_figures(
    name: str,
    backend: str,
    count: int,
    results: Mapping[str, Sequence[Sequence[Any]]],
    extra: dict[str, dict[str, Any]] | None = None,
) -> list[Figure]:
    """The figures of runs that each returned (events/s, p50 ms, p99 ms, ...)."""
    rates = {subject: [r[0] for r in runs] for subject, runs in results.items()}
    p50 = {subject: [r[1] for r in runs] for subject, runs in results.items()}
    p99 = {subject: [r[2] for r in runs] for subject, runs in results.items()}
    return [
        *figures(name, backend, f"{count:,} appends", "ev/s", rates, lower_is_better=False, extra=extra),
        *figures(name, backend, "p50 per append", "ms", p50, lower_is_better=True, extra=extra),
        *figures(name, backend, "p99 per append", "ms", p99, lower_is_better=True, extra=extra),
    ]


def on_every_backend(
    context: BenchContext, measure: Callable[[BenchContext, str, int], Awaitable[list[Figure]]]
) -> list[Figure]:
    """Run ``measure(context, backend, count)`` on every chosen backend (10,000; 200 with --quick)."""
    count = 200 if context.quick else 10_000
    made: list[Figure] = []
    for backend in context.durable_backends():
        made.extend(asyncio.run(measure(context, backend, count)))
    return made


async def _measure(context: BenchContext, backend: str, count: int) -> list[Figure]:
    factories = side_factories(context, backend, "w1")
    results = await interleaved(context.repeats, fresh_runs(factories, lambda side: _run(side, count)))
    return append_figures(NAME, backend, count, results)


def run(context: BenchContext) -> list[Figure]:
    """Run W1 on every chosen backend (10,000 streams; 200 with --quick)."""
    return on_every_backend(context, _measure)
