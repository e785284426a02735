"""W1 outbox: W1 through an event store opened with ``outbox=True``, beside W1 without, in one run.

The same 10,000 single-event appends to new streams as W1, through the same stores: once with the
transactional outbox on (each append also writes an outbox row in its transaction) and once
without. The sides alternate; the "raw" column is plain lexigram W1, so the ratio is the cost of
the outbox on appends. Each run also checks that the outbox holds a row for every event.
"""

from __future__ import annotations

from typing import Any

from bench.common import LEXIGRAM, RAW, Figure, interleaved, make_events
from bench.context import POSTGRES, BenchContext
from bench.lexigram_side import LexigramSide
from bench.lineup import fresh_runs
from bench.sides import Side
from bench.w1_new_streams import WARMUP, append_figures, on_every_backend, timed_appends
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
    baseline = {LEXIGRAM: {"baseline": "lexigram W1 without the outbox"}}
    return append_figures(NAME, backend, count, results, extra=baseline)


def run(context: BenchContext) -> list[Figure]:
    """Run W1 with the outbox beside W1 without, on every backend (10,000 streams; 200 with --quick)."""
    return on_every_backend(context, _measure)
