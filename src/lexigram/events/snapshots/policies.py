"""Snapshot policies: when to take a snapshot after events were saved.

A policy looks at a ``SnapshotContext`` (which aggregate, its version after the save, how many
events this save wrote, the version and time of the last snapshot) and answers yes or no::

    repository = EventSourcingRepository(Order, store, snapshot_store, snapshot_policy=EventCountPolicy(100))

``policy_from_config(SnapshotConfig(...))`` builds the policy an application's configuration asks for.
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import datetime, timedelta

from lexigram.contracts.messages.ids import utc_now
from lexigram.events.config import SnapshotConfig, SnapshotStrategy

__all__ = [
    "CompositePolicy",
    "EventCountPolicy",
    "OnDemandPolicy",
    "SnapshotContext",
    "SnapshotPolicy",
    "TimeBasedPolicy",
    "policy_from_config",
]


@dataclass(frozen=True, slots=True)
class SnapshotContext:
    """What a policy knows when deciding whether to snapshot, right after a successful save."""

    aggregate_id: str
    aggregate_type: str
    version: int
    """The aggregate's version after the save."""
    events_saved: int
    """How many events this save appended."""
    last_snapshot_version: int = 0
    """The version of the latest snapshot, 0 when there is none."""
    last_snapshot_at: datetime | None = None
    """When the latest snapshot was taken, None when there is none (or it is unknown)."""

    @property
    def events_since_snapshot(self) -> int:
        """Events saved since the latest snapshot (since the beginning when there is none)."""
        return self.version - self.last_snapshot_version


class SnapshotPolicy(ABC):
    """Decides whether to take a snapshot after a save. Subclass it and implement ``should_snapshot``."""

    @abstractmethod
    def should_snapshot(self, context: SnapshotContext) -> bool:
        """Return True to take a snapshot now."""


class EventCountPolicy(SnapshotPolicy):
    """Snapshot once at least ``n`` events have been saved since the last snapshot."""

    def __init__(self, n: int = 100) -> None:
        if isinstance(n, bool) or not isinstance(n, int) or n < 1:
            raise ValueError(f"EventCountPolicy needs a whole number of events >= 1, got {n!r}")
        self.n = n

    def should_snapshot(self, context: SnapshotContext) -> bool:
        """True when ``n`` or more events were saved since the latest snapshot."""
        return context.events_since_snapshot >= self.n

    def __repr__(self) -> str:
        return f"EventCountPolicy({self.n})"


class TimeBasedPolicy(SnapshotPolicy):
    """Snapshot when the latest snapshot is older than ``interval`` (seconds or a ``timedelta``).

    An aggregate without a snapshot gets one on its first save, which starts the clock. Only saves
    trigger snapshots: an aggregate nobody saves is never snapshotted. ``clock`` returns the current
    aware UTC time (injectable for tests).
    """

    def __init__(
        self, interval: float | timedelta = 3600.0, *, clock: Callable[[], datetime] = utc_now
    ) -> None:
        seconds = interval.total_seconds() if isinstance(interval, timedelta) else interval
        if isinstance(seconds, bool) or not isinstance(seconds, (int, float)) or seconds <= 0:
            raise ValueError(f"TimeBasedPolicy needs a positive interval, got {interval!r}")
        self.interval = timedelta(seconds=seconds)
        self._clock = clock

    def should_snapshot(self, context: SnapshotContext) -> bool:
        """True when there is no snapshot yet, or the latest one is at least ``interval`` old."""
        if context.events_since_snapshot <= 0:
            return False
        if context.last_snapshot_at is None:
            return True
        return self._clock() - context.last_snapshot_at >= self.interval

    def __repr__(self) -> str:
        return f"TimeBasedPolicy({self.interval.total_seconds()})"


class OnDemandPolicy(SnapshotPolicy):
    """Never snapshot automatically; snapshots are taken only by ``force_snapshot``."""

    def should_snapshot(self, context: SnapshotContext) -> bool:
        """Always False."""
        return False

    def __repr__(self) -> str:
        return "OnDemandPolicy()"


class CompositePolicy(SnapshotPolicy):
    """Combine policies: snapshot when any of them says so (or all of them, with ``require_all=True``).

    ``CompositePolicy(EventCountPolicy(500), TimeBasedPolicy(3600))`` snapshots every 500 events or
    hourly, whichever comes first. A list of policies is accepted too.
    """

    def __init__(
        self, *policies: SnapshotPolicy | Iterable[SnapshotPolicy], require_all: bool = False
    ) -> None:
        flattened: list[SnapshotPolicy] = []
        for item in policies:
            flattened.extend([item] if isinstance(item, SnapshotPolicy) else item)
        if not flattened:
            raise ValueError("CompositePolicy needs at least one policy")
        for policy in flattened:
            if not isinstance(policy, SnapshotPolicy):
                raise TypeError(f"CompositePolicy combines SnapshotPolicy objects, got {policy!r}")
        self.policies: tuple[SnapshotPolicy, ...] = tuple(flattened)
        self.require_all = require_all

    def should_snapshot(self, context: SnapshotContext) -> bool:
        """Any policy (or every policy, with ``require_all``) says yes."""
        decisions = (policy.should_snapshot(context) for policy in self.policies)
        return all(decisions) if self.require_all else any(decisions)

    def __repr__(self) -> str:
        inner = ", ".join(map(repr, self.policies))
        return f"CompositePolicy({inner}{', require_all=True' if self.require_all else ''})"


def policy_from_config(config: SnapshotConfig) -> SnapshotPolicy:
    """The policy a ``SnapshotConfig`` describes.

    ``enabled=False`` and ``strategy=ON_DEMAND`` never snapshot automatically; ``EVENT_COUNT`` uses
    ``event_count_threshold`` and ``TIME_BASED`` uses ``time_threshold_seconds``.
    (``max_snapshots_per_aggregate`` is applied by ``SnapshotManager`` and the snapshot stores.)
    """
    if not config.enabled or config.strategy == SnapshotStrategy.ON_DEMAND:
        return OnDemandPolicy()
    if config.strategy == SnapshotStrategy.TIME_BASED:
        return TimeBasedPolicy(config.time_threshold_seconds)
    return EventCountPolicy(config.event_count_threshold)
