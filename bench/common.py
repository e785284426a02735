"""Shared benchmark plumbing: the standard event payload, timing, environment, reporting."""

from __future__ import annotations

import json
import os
import platform
import sqlite3
import statistics
import sys
import time
import uuid
from collections.abc import Callable, Iterable
from dataclasses import asdict, dataclass, field
from typing import Any

from lexigram.contracts.domain import DomainEvent

NOTE = ("lorem ipsum dolor sit amet " * 5)[:120]


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


@dataclass
class Figure:
    """One benchmark result: our figure beside the raw baseline measured in the same run."""

    workload: str
    backend: str
    metric: str
    ours: float
    raw: float
    unit: str
    lower_is_better: bool = True
    extra: dict[str, Any] = field(default_factory=dict)

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


def clock() -> float:
    """A monotonic high-resolution clock in seconds."""
    return time.perf_counter()


def environment() -> dict[str, Any]:
    """The facts a reader needs to compare figures between runs."""
    return {
        "python": sys.version.split()[0],
        "implementation": platform.python_implementation(),
        "cpus": os.cpu_count(),
        "platform": platform.platform(),
        "sqlite": sqlite3.sqlite_version,
    }


def report(figures: list[Figure], as_json: bool) -> None:
    """Print one JSON object per figure, then a table."""
    for figure in figures:
        print(json.dumps({**asdict(figure), "ratio": round(figure.ratio, 3)}))
    if as_json:
        return
    print()
    print(f"{'workload':<22} {'backend':<8} {'metric':<26} {'ours':>12} {'raw':>12}  ratio")
    for figure in figures:
        print(
            f"{figure.workload:<22} {figure.backend:<8} {figure.metric:<26} "
            f"{figure.ours:>10.3f}{figure.unit:>2} {figure.raw:>10.3f}{figure.unit:>2}  "
            f"{figure.ratio:.2f}"
        )
