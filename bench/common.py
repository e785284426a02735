"""Shared benchmark plumbing: the standard event payload, timing, environment, reporting."""

from __future__ import annotations

import json
import math
import os
import platform
import sqlite3
import statistics
import sys
import time
import uuid
from collections.abc import Awaitable, Callable, Iterable, Sequence
from dataclasses import asdict, dataclass, field
from typing import Any

import orjson

from lexigram.contracts.domain import DomainEvent

NOTE = ("lorem ipsum dolor sit amet " * 5)[:120]

LEXIGRAM = "lexigram"
RAW = "raw"
EVENTSOURCING = "eventsourcing"


class ItemOrdered(DomainEvent):
    """The benchmark event: five payload fields, about 200 bytes of JSON."""

    order_id: str
    sku: str
    qty: int
    price: str
    note: str


def make_event(index: int) -> ItemOrdered:
    """The standard benchmark event (benchmarks.md)."""
    return ItemOrdered(
        order_id=str(uuid.uuid4()),
        sku=f"SKU-{index % 1000:06d}",
        qty=index % 7 + 1,
        price="19.99",
        note=NOTE,
    )


def typed_event(position: int, data: bytes | str) -> ItemOrdered:
    """What building a typed event costs beyond ``orjson.loads``: the message layer's stored-event path.

    The raw baselines' extra "typed" figure uses this: the JSON parsed with orjson, the position
    stamped, and the event built by ``ItemOrdered._from_stored`` (no validation, as a store does).
    """
    document = orjson.loads(data)
    document["sequence_number"] = position
    return ItemOrdered._from_stored(document)


def make_events(count: int, start: int = 0) -> list[ItemOrdered]:
    """``count`` standard events."""
    return [make_event(index) for index in range(start, start + count)]


@dataclass
class Figure:
    """One benchmark result: a figure beside the raw baseline measured in the same run.

    ``subject`` is whose figure ``ours`` is: ``lexigram`` (this project) or ``eventsourcing`` (the
    PyPI package, measured against the same raw baseline so that both ratios compare).
    """

    workload: str
    backend: str
    metric: str
    ours: float
    raw: float
    unit: str
    lower_is_better: bool = True
    extra: dict[str, Any] = field(default_factory=dict)
    subject: str = LEXIGRAM

    @property
    def ratio(self) -> float:
        """Our cost relative to the raw baseline (1.0 is the physical limit)."""
        if self.lower_is_better:
            return self.ours / self.raw if self.raw else float("inf")
        return self.raw / self.ours if self.ours else float("inf")


def best_of(repeats: int, run: Callable[[], float]) -> float:
    """The best (smallest) of several timed runs; ``run`` returns seconds."""
    return min(run() for _ in range(repeats))


def median(values: Iterable[float]) -> float:
    """The median of some timings."""
    return statistics.median(list(values))


def percentile(values: Sequence[float], fraction: float) -> float:
    """The nearest-rank percentile (``fraction`` in 0..1) of some values."""
    ordered = sorted(values)
    if not ordered:
        return float("nan")
    rank = max(1, math.ceil(fraction * len(ordered)))
    return ordered[rank - 1]


def clock() -> float:
    """A monotonic high-resolution clock in seconds."""
    return time.perf_counter()


async def interleaved(repeats: int, runs: dict[str, Callable[[int], Awaitable[Any]]]) -> dict[str, list[Any]]:
    """Run each named measurement ``repeats`` times, alternating between them, and collect the results.

    Alternating (a, b, c, a, b, c, ...) spreads the machine's drift evenly over every side.
    """
    results: dict[str, list[Any]] = {name: [] for name in runs}
    for attempt in range(repeats):
        for name, run in runs.items():
            results[name].append(await run(attempt))
    return results


def environment() -> dict[str, Any]:
    """The facts a reader needs to compare figures between runs."""
    return {
        "python": sys.version.split()[0],
        "implementation": platform.python_implementation(),
        "cpus": os.cpu_count(),
        "platform": platform.platform(),
        "sqlite": sqlite3.sqlite_version,
    }


def _number(value: float) -> str:
    if value >= 100_000:
        return f"{value:,.0f}"
    if value >= 100:
        return f"{value:.1f}"
    return f"{value:.3f}"


def report(figures: list[Figure], as_json: bool) -> None:
    """Print one JSON object per figure, then a table."""
    for figure in figures:
        print(json.dumps({**asdict(figure), "ratio": round(figure.ratio, 3)}))
    if as_json:
        return
    print()
    header = f"{'workload':<20} {'backend':<8} {'subject':<13} {'metric':<34} {'ours':>14} {'raw':>14}  ratio"
    print(header)
    print("-" * len(header))
    for figure in figures:
        unit = figure.unit
        print(
            f"{figure.workload:<20} {figure.backend:<8} {figure.subject:<13} {figure.metric:<34} "
            f"{_number(figure.ours):>10} {unit:<3} {_number(figure.raw):>10} {unit:<3}  {figure.ratio:.2f}"
        )
