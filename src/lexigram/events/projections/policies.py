"""What a projection does when applying an event fails: retry with backoff, then park or stop."""

from __future__ import annotations

import enum
from dataclasses import dataclass

__all__ = ["ErrorAction", "ErrorPolicy"]


class ErrorAction(enum.StrEnum):
    """The outcome once an event has failed ``retries + 1`` times."""

    PARK = "park"
    """Set the event aside (and hold back the later events of its stream); other streams keep flowing."""
    STOP = "stop"
    """Stop the projection in ``FAULTED`` with the error recorded; its checkpoint stays before the event."""


@dataclass(frozen=True, slots=True)
class ErrorPolicy:
    """How a projection handles an event it fails to apply.

    The event is tried ``retries`` more times, waiting ``backoff`` seconds before the first retry
    and doubling up to ``max_backoff``; then ``then`` decides. Set it as the projection's
    ``error_policy`` attribute, return it from an ``error_policy(event, error)`` method, or give
    it to ``ProjectionManager.register``.
    """

    retries: int = 0
    backoff: float = 0.1
    max_backoff: float = 5.0
    then: ErrorAction = ErrorAction.STOP

    def __post_init__(self) -> None:
        if not isinstance(self.retries, int) or isinstance(self.retries, bool) or self.retries < 0:
            raise ValueError(f"retries must be an int >= 0, got {self.retries!r}")
        if self.backoff < 0 or self.max_backoff < 0:
            raise ValueError("backoff and max_backoff must be >= 0 seconds")
        object.__setattr__(self, "then", ErrorAction(self.then))

    @classmethod
    def stop(cls) -> ErrorPolicy:
        """Fault at the first failure (the default)."""
        return cls(retries=0, then=ErrorAction.STOP)

    @classmethod
    def skip(cls) -> ErrorPolicy:
        """Park the event at the first failure and go on with the other streams."""
        return cls(retries=0, then=ErrorAction.PARK)

    @classmethod
    def retry(
        cls,
        retries: int = 3,
        *,
        backoff: float = 0.1,
        max_backoff: float = 5.0,
        then: ErrorAction | str = ErrorAction.STOP,
    ) -> ErrorPolicy:
        """Retry ``retries`` times with exponential backoff, then ``then`` (stop or park)."""
        return cls(retries=retries, backoff=backoff, max_backoff=max_backoff, then=ErrorAction(then))

    def delay(self, attempt: int) -> float:
        """Seconds to wait before retry number ``attempt`` (1 for the first retry)."""
        return float(min(self.max_backoff, self.backoff * (2 ** max(attempt - 1, 0))))
