"""``MetricsMiddleware``: count calls, failures and durations per message class."""

from __future__ import annotations

import time
from dataclasses import dataclass
from typing import Any

from lexigram.events.middleware.base import AbstractMiddleware, NextHandler, result_failed

__all__ = ["MessageMetrics", "MetricsMiddleware"]


@dataclass(frozen=True, slots=True)
class MessageMetrics:
    """What ``MetricsMiddleware`` measured for one message class."""

    calls: int
    failures: int
    total_seconds: float
    max_seconds: float

    @property
    def mean_seconds(self) -> float:
        """Average duration of a call (0 when there was none)."""
        return self.total_seconds / self.calls if self.calls else 0.0


class _Tally:
    __slots__ = ("calls", "failures", "max_seconds", "total_seconds")

    def __init__(self) -> None:
        self.calls = 0
        self.failures = 0
        self.total_seconds = 0.0
        self.max_seconds = 0.0


class MetricsMiddleware(AbstractMiddleware[Any, Any]):
    """Measure every message; ``snapshot()`` returns the figures by message class name.

    A call fails when it raises (cancellation included), returns an ``Err``, or (on the event bus)
    when one of the event's handlers failed.
    """

    def __init__(self) -> None:
        self._tallies: dict[type, _Tally] = {}

    async def __call__(self, message: Any, next_handler: NextHandler) -> Any:
        """Time the rest of the pipeline and record the outcome."""
        start = time.perf_counter()
        failed = True
        try:
            result = await next_handler(message)
            failed = result_failed(result)
            return result
        finally:
            self._record(type(message), time.perf_counter() - start, failed)

    def _record(self, message_type: type, seconds: float, failed: bool) -> None:
        tally = self._tallies.get(message_type)
        if tally is None:
            tally = self._tallies[message_type] = _Tally()
        tally.calls += 1
        tally.failures += failed
        tally.total_seconds += seconds
        tally.max_seconds = max(tally.max_seconds, seconds)

    def snapshot(self) -> dict[str, MessageMetrics]:
        """The figures so far, keyed by message class name (module-qualified when names clash)."""
        short_names = [cls.__name__ for cls in self._tallies]
        figures: dict[str, MessageMetrics] = {}
        for cls, tally in self._tallies.items():
            key = cls.__name__
            if short_names.count(key) > 1:
                key = f"{cls.__module__}.{cls.__qualname__}"
            figures[key] = MessageMetrics(tally.calls, tally.failures, tally.total_seconds, tally.max_seconds)
        return figures

    def reset(self) -> None:
        """Forget every figure."""
        self._tallies.clear()
