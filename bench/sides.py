"""What every measured side (lexigram, the raw driver, eventsourcing) offers the workloads.

A workload drives every side through the same loop and the same clock, so the only difference
between two figures is the code behind these methods. Each side writes to and reads from its own
fresh tables (or file), named by the workload.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from typing import Any, Protocol

from bench.common import ItemOrdered

Planned = tuple[str, int | None, list[ItemOrdered]]
"""A planned append: stream id, expected version (None: known only when it happens), events."""


class Conflict(Exception):
    """An append refused by the optimistic-concurrency check (whatever the side calls it)."""


class Side(Protocol):
    """One implementation of the store operations the workloads time."""

    subject: str
    backend: str

    async def open(self) -> None:
        """Connect and create empty tables."""
        ...

    async def close(self) -> None:
        """Drop what ``open`` created and disconnect."""
        ...

    def prepare(self, appends: list[Planned]) -> list[list[Any]]:
        """Turn each planned append's events into what ``append`` takes (not timed).

        A plan is (stream id, the version it will append at or None when unknown, events).
        """
        ...

    async def append(self, stream_id: str, items: list[Any], expected_version: int) -> None:
        """Append ``items`` when the stream is at ``expected_version``; else raise ``Conflict``."""
        ...

    async def version(self, stream_id: str) -> int:
        """The stream's current version (0 for a new stream)."""
        ...

    async def read_stream(self, stream_id: str) -> list[Any]:
        """Every event of the stream, decoded, in order."""
        ...

    async def read_all(self, batch_size: int) -> int:
        """Read the whole global log from the start in batches, decoding every event; return the count."""
        ...

    async def stored(self) -> list[tuple[str, int, str]]:
        """Every stored event as (stream id, version, order_id), for the lost-event check."""
        ...


def check_no_lost_events(
    successes: Iterable[tuple[str, str]], stored: list[tuple[str, int, str]]
) -> tuple[bool, str]:
    """Every successful append is stored exactly once, nothing else is, and versions are contiguous.

    ``successes`` holds (stream id, order_id) of every append that reported success.
    """
    expected = {order_id: stream for stream, order_id in successes}
    problems: list[str] = []
    seen: dict[str, int] = {}
    versions: dict[str, list[int]] = defaultdict(list)
    for stream, version, order_id in stored:
        seen[order_id] = seen.get(order_id, 0) + 1
        versions[stream].append(version)
        if expected.get(order_id) != stream:
            problems.append(f"event {order_id} in {stream} was never reported appended there")
    missing = [order_id for order_id in expected if order_id not in seen]
    duplicated = [order_id for order_id, count in seen.items() if count > 1]
    gaps = [s for s, vs in versions.items() if sorted(vs) != list(range(1, len(vs) + 1))]
    if missing:
        problems.append(f"{len(missing)} successful appends are missing")
    if duplicated:
        problems.append(f"{len(duplicated)} events are stored more than once")
    if gaps:
        problems.append(f"{len(gaps)} streams have non-contiguous versions")
    if problems:
        return False, "; ".join(problems[:5])
    return True, (
        f"ok: {len(expected)} successes stored exactly once, versions contiguous in {len(versions)} streams"
    )
