"""``VersionSkew`` records and ``SkewLog``, where version-aware readers report what they skipped."""

from __future__ import annotations

import logging
from collections import Counter, deque
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from lexigram.contracts.messages.ids import utc_now
from lexigram.events.schema.unknown import SkewReason, UnknownEvent

__all__ = ["SkewLog", "VersionSkew"]

logger = logging.getLogger(__name__)


@dataclass(frozen=True, slots=True)
class VersionSkew:
    """One event a reader or consumer could not take, and why.

    ``event`` is what was read: an ``UnknownEvent`` for the reasons a store reports, the decoded
    event for ``CONSUMER_BEHIND``. ``consumer`` names the consumer when one was declared.
    """

    reason: SkewReason
    event_type: str
    stored_version: int | None
    known_version: int | None
    position: int | None
    stream_id: str | None
    stream_version: int | None
    event: Any
    consumer: str | None = None
    error: str | None = None
    detected_at: datetime = field(default_factory=utc_now)

    @classmethod
    def from_unknown(
        cls, unknown: UnknownEvent, *, stream_id: str | None = None, consumer: str | None = None
    ) -> VersionSkew:
        """The skew record of an ``UnknownEvent`` a store returned."""
        return cls(
            reason=SkewReason(unknown.reason),
            event_type=unknown.original_type,
            stored_version=unknown.stored_version,
            known_version=unknown.known_version,
            position=unknown.sequence_number,
            stream_id=stream_id,
            stream_version=unknown.stream_version,
            event=unknown,
            consumer=consumer,
            error=unknown.error,
        )

    def describe(self) -> str:
        """One line for logs and reports."""
        where = f"position {self.position}" if self.position is not None else "an unknown position"
        if self.stream_id is not None:
            where += f" (stream '{self.stream_id}' v{self.stream_version})"
        who = f"{self.consumer}: " if self.consumer else ""
        stored = "?" if self.stored_version is None else self.stored_version
        if self.reason is SkewReason.UNKNOWN_TYPE:
            what = f"no event class for {self.event_type} v{stored}"
        elif self.reason is SkewReason.NEWER_VERSION:
            what = f"{self.event_type} v{stored} is newer than the known v{self.known_version}"
        elif self.reason is SkewReason.CONSUMER_BEHIND:
            what = f"{self.event_type} v{stored} is newer than the v{self.known_version} the consumer knows"
        else:
            what = f"{self.event_type} v{stored} cannot be decoded: {self.error}"
        return f"{who}{what}, at {where}"


class SkewLog:
    """An in-process record of skipped events: the newest ``max_entries`` and counts of all of them.

    Every record is also logged: a warning the first time a (type, version, reason, consumer) is
    seen, then at debug level, so a flood of one skew does not flood the logs. ``counts`` never
    forgets, even when old entries are dropped.
    """

    def __init__(self, max_entries: int = 10_000) -> None:
        if isinstance(max_entries, bool) or not isinstance(max_entries, int) or max_entries < 1:
            raise ValueError(f"max_entries must be a positive integer, got {max_entries!r}")
        self._entries: deque[VersionSkew] = deque(maxlen=max_entries)
        self.counts: Counter[tuple[str, int | None, SkewReason, str | None]] = Counter()
        """How many skews were recorded per (event type, stored version, reason, consumer)."""

    def record(self, skew: VersionSkew) -> None:
        """Keep ``skew`` and log it."""
        key = (skew.event_type, skew.stored_version, skew.reason, skew.consumer)
        first = key not in self.counts
        self.counts[key] += 1
        self._entries.append(skew)
        logger.log(logging.WARNING if first else logging.DEBUG, "version skew: %s", skew.describe())

    def entries(
        self, *, event_type: str | None = None, reason: SkewReason | None = None
    ) -> list[VersionSkew]:
        """The kept records, oldest first, optionally of one event type or reason."""
        return [
            skew
            for skew in self._entries
            if (event_type is None or skew.event_type == event_type)
            and (reason is None or skew.reason is reason)
        ]

    @property
    def total(self) -> int:
        """How many skews were recorded in all."""
        return sum(self.counts.values())

    def summary(self) -> list[str]:
        """One line per (event type, stored version, reason, consumer) with its count, sorted."""
        lines = []
        for (event_type, version, reason, consumer), count in sorted(
            self.counts.items(),
            key=lambda item: (item[0][0], item[0][1] or 0, item[0][2].value, item[0][3] or ""),
        ):
            who = f" for {consumer}" if consumer else ""
            lines.append(
                f"{event_type} v{'?' if version is None else version}: {count} x {reason.value}{who}"
            )
        return lines

    def clear(self) -> None:
        """Forget every record and count."""
        self._entries.clear()
        self.counts.clear()

    def __len__(self) -> int:
        return len(self._entries)
