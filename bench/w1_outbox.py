"""W1 outbox: W1 through an event store opened with ``outbox=True``, beside W1 without, in one run.

The same 10,000 single-event appends to new streams as W1, through the same stores: once with the
transactional outbox on (each append also writes an outbox row in its transaction) and once
without. The sides alternate; the "raw" column is plain lexigram W1, so the ratio is the cost of
the outbox on appends. Each run also checks that the outbox holds a row for every event.
"""

from __future__ import annotations

import asyncio
from typing import Any

from bench.common import LEXIGRAM, RAW, Figure, interleaved, make_events
from bench.context import POSTGRES, BenchContext
from bench.lexigram_side import LexigramSide
from bench.lineup import figures, fresh_runs
from bench.sides import Side
from bench.w1_new_streams import WARMUP, timed_appends
from lexigram.events import PostgresEventStore, SqliteEventStore

NAME = "W1o outbox"


class OutboxSide(LexigramSide):
    """Lexigram's store with its outbox on (same config and pool as W1's side)."""

    def __init__(self, context: BenchContext, backend: str, tag: str) -> None:
        super().__init__(context, backend, tag)
        store: Any = self.store
        if backend == POSTGRES:
            self.store = PostgresEventStore(store.config, provider=self.snapshots.pool, outbox=True)
        else:
            self.store = SqliteEventStore(store.config, outbox=True)


async def _run(side: Side, count: int) -> tuple[float, float, float, bool]:
    rate, p50, p99 = await timed_appends(side, make_events(count + WARMUP), "w1o")
    recorded = True
    if isinstance(side, OutboxSide):
        store: Any = side.store
        recorded = await store.outbox.pending_count() == count + WARMUP
    return rate, p50, p99, recorded


async def _measure(context: BenchContext, backend: str, count: int) -> list[Figure]:
    def with_outbox() -> Side:
        return OutboxSide(context, backend, context.tag("w1ol"))

    def plain() -> Side:
        return LexigramSide(context, backend, context.tag("w1op"))

    runs = fresh_runs({LEXIGRAM: with_outbox, RAW: plain}, lambda side: _run(side, count))
    results = await interleaved(context.repeats, runs)
    context.check(
        f"{NAME} on {backend}: every appended event has its outbox row",
        all(r[3] for r in results[LEXIGRAM]),
    )
    rates = {subject: [r[0] for r in runs_] for subject, runs_ in results.items()}
    p50 = {subject: [r[1] for r in runs_] for subject, runs_ in results.items()}
    p99 = {subject: [r[2] for r in runs_] for subject, runs_ in results.items()}
    baseline = {LEXIGRAM: {"baseline": "lexigram W1 without the outbox"}}
    return [
        *figures(NAME, backend, f"{count:,} appends", "ev/s", rates, lower_is_better=False, extra=baseline),
        *figures(NAME, backend, "p50 per append", "ms", p50, lower_is_better=True, extra=baseline),
        *figures(NAME, backend, "p99 per append", "ms", p99, lower_is_better=True, extra=baseline),
    ]


def run(context: BenchContext) -> list[Figure]:
    """Run W1 with the outbox beside W1 without, on every backend (10,000 streams; 200 with --quick)."""
    count = 200 if context.quick else 10_000
    made: list[Figure] = []
    for backend in context.durable_backends():
        made.extend(asyncio.run(_measure(context, backend, count)))
    return made
