"""W3 contended: 8 concurrent writers, 1,000 streams chosen Zipf(s=1.1), 20,000 attempts.

An attempt reads the stream's version, then appends 1 event with that ``expected_version``; a
conflict (another writer got there first) is counted and not retried. The writers are tasks on
one event loop sharing a queue of attempts (the same Zipf-drawn streams, seed 1234, for every
side); each yields to the others after every attempt. Each writer first makes one warm-up append
to a stream of its own (not timed). Figures: successful events/s, conflicts, p99 ms per attempt
(read + append). On PostgreSQL the same attempts also run with 1 writer, giving the scaling factor.

After every run the stored events are checked: every success stored exactly once, nothing else
stored, versions 1..n in every stream. The check is printed.
"""

from __future__ import annotations

import asyncio
import itertools
import random
from dataclasses import dataclass

from bench.common import Figure, ItemOrdered, clock, interleaved, make_events, percentile
from bench.context import POSTGRES, BenchContext
from bench.lineup import figures, fresh_runs, side_factories
from bench.sides import Conflict, Side, check_no_lost_events

NAME = "W3 contended"
SEED = 1234


@dataclass
class Outcome:
    """One run of W3 on one side."""

    rate: float
    conflicts: int
    successes: int
    p99_ms: float
    check_ok: bool
    check: str


def zipf_streams(streams: int, attempts: int, exponent: float = 1.1) -> list[str]:
    """The stream of every attempt: stream k (1-based) drawn with probability proportional to k^-s."""
    weights = [1 / rank**exponent for rank in range(1, streams + 1)]
    chosen = random.Random(SEED).choices(range(streams), weights=weights, k=attempts)
    return [f"w3-{index:04d}" for index in chosen]


async def _run(side: Side, streams: list[str], events: list[ItemOrdered], writers: int) -> Outcome:
    prepared = side.prepare([(stream, None, [event]) for stream, event in zip(streams, events, strict=True)])
    warmups = make_events(writers)
    warmup_items = side.prepare([(f"w3-warmup-{w}", 0, [warmups[w]]) for w in range(writers)])
    successes: list[tuple[str, str]] = []
    latencies: list[float] = []
    conflicts = 0
    attempts = len(streams)
    queue = itertools.count()
    ready = asyncio.Barrier(writers + 1)

    async def writer(number: int) -> None:
        nonlocal conflicts
        warmup_stream = f"w3-warmup-{number}"
        await side.version(warmup_stream)
        await side.append(warmup_stream, warmup_items[number], 0)
        successes.append((warmup_stream, warmups[number].order_id))
        await ready.wait()
        while (index := next(queue)) < attempts:
            stream = streams[index]
            before = clock()
            version = await side.version(stream)
            try:
                await side.append(stream, prepared[index], version)
                successes.append((stream, events[index].order_id))
            except Conflict:
                conflicts += 1
            latencies.append(clock() - before)
            await asyncio.sleep(0)

    tasks = [asyncio.ensure_future(writer(number)) for number in range(writers)]
    await ready.wait()
    started = clock()
    await asyncio.gather(*tasks)
    elapsed = clock() - started
    ok, check = check_no_lost_events(successes, await side.stored())
    won = len(successes) - writers
    return Outcome(won / elapsed, conflicts, won, percentile(latencies, 0.99) * 1e3, ok, check)


async def _measure(
    context: BenchContext, backend: str, streams: list[str], writers: int
) -> dict[str, list[Outcome]]:
    events = make_events(len(streams))
    factories = side_factories(context, backend, f"w3w{writers}", writers=writers)
    results = await interleaved(
        context.repeats, fresh_runs(factories, lambda side: _run(side, streams, events, writers))
    )
    for subject, outcomes in results.items():
        for outcome in outcomes:
            context.check(
                f"{NAME} {backend} {subject} {writers} writer(s): lost-event check {outcome.check}",
                outcome.check_ok,
            )
    return results


def _figures(backend: str, writers: int, results: dict[str, list[Outcome]]) -> list[Figure]:
    label = f"{writers} writer{'s' if writers > 1 else ''}"
    extra = {
        subject: {
            "conflicts_per_run": [o.conflicts for o in outcomes],
            "successes_per_run": [o.successes for o in outcomes],
            "lost_event_check": "ok" if all(o.check_ok for o in outcomes) else "FAILED",
        }
        for subject, outcomes in results.items()
    }
    rates = {subject: [o.rate for o in outcomes] for subject, outcomes in results.items()}
    p99 = {subject: [o.p99_ms for o in outcomes] for subject, outcomes in results.items()}
    conflicts = {subject: [float(o.conflicts) for o in outcomes] for subject, outcomes in results.items()}
    return [
        *figures(NAME, backend, f"{label}: successes", "ev/s", rates, lower_is_better=False, extra=extra),
        *figures(NAME, backend, f"{label}: p99 per attempt", "ms", p99, lower_is_better=True),
        *figures(NAME, backend, f"{label}: conflicts (fewest)", "n", conflicts, lower_is_better=True),
    ]


def _scaling(
    backend: str, many: int, one: dict[str, list[Outcome]], more: dict[str, list[Outcome]]
) -> list[Figure]:
    made: list[Figure] = []
    raw = max(o.rate for o in more["raw"]) / max(o.rate for o in one["raw"])
    for subject in one:
        if subject == "raw":
            continue
        factor = max(o.rate for o in more[subject]) / max(o.rate for o in one[subject])
        made.append(
            Figure(
                NAME,
                backend,
                f"scaling {many} vs 1 writer",
                factor,
                raw,
                "x",
                lower_is_better=False,
                extra={"note": "best successes/s with many writers over best with one; ratio = raw/ours"},
                subject=subject,
            )
        )
    return made


async def _backend(context: BenchContext, backend: str, streams: list[str], writers: int) -> list[Figure]:
    more = await _measure(context, backend, streams, writers)
    made = _figures(backend, writers, more)
    if backend == POSTGRES:
        one = await _measure(context, backend, streams, 1)
        made = [*_figures(backend, 1, one), *made, *_scaling(backend, writers, one, more)]
    return made


def run(context: BenchContext) -> list[Figure]:
    """Run W3 on every chosen backend (8 writers, 1,000 streams, 20,000 attempts; tiny with --quick)."""
    streams = zipf_streams(50, 400) if context.quick else zipf_streams(1000, 20_000)
    made: list[Figure] = []
    for backend in context.durable_backends():
        made.extend(asyncio.run(_backend(context, backend, streams, 8)))
    return made
