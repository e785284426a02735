"""``RetryMiddleware``: call the rest of the pipeline again after a transient failure.

Attempts are spaced by an exponential back-off (``base_delay``, doubling, capped at ``max_delay``)
with a real ``asyncio.sleep``. By default every exception is retried except business and input
errors (``DomainError``, ``ValidationError``) and ``CircuitOpenError``; pass ``retry_on`` to decide
otherwise. Returned results, ``Err`` included, are never retried.

On the event bus, handler failures are retried by the bus itself (``EventBusConfig``) and never
reach middleware as exceptions, so this middleware only retries failures of inner middleware there.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable
from typing import Any

from lexigram.contracts.exceptions import DomainError, ValidationError
from lexigram.events.exceptions import CircuitOpenError
from lexigram.events.middleware.base import AbstractMiddleware, NextHandler

__all__ = ["RetryMiddleware", "is_transient"]

logger = logging.getLogger("lexigram.events.middleware")


def is_transient(error: BaseException) -> bool:
    """The default retry rule: anything but domain, validation and open-circuit errors."""
    return not isinstance(error, DomainError | ValidationError | CircuitOpenError)


class RetryMiddleware(AbstractMiddleware[Any, Any]):
    """Retry failed messages up to ``max_attempts`` calls in all, with exponential back-off."""

    def __init__(
        self,
        max_attempts: int = 3,
        base_delay: float = 0.1,
        max_delay: float = 10.0,
        retry_on: Callable[[BaseException], bool] | None = None,
    ) -> None:
        if max_attempts < 1:
            raise ValueError(f"max_attempts must be at least 1, got {max_attempts}")
        if base_delay < 0 or max_delay < 0:
            raise ValueError("base_delay and max_delay must not be negative")
        self.max_attempts = max_attempts
        self.base_delay = base_delay
        self.max_delay = max_delay
        self.retry_on = retry_on if retry_on is not None else is_transient

    async def __call__(self, message: Any, next_handler: NextHandler) -> Any:
        """Call the rest of the pipeline, again after each retryable failure."""
        attempt = 1
        delay = self.base_delay
        while True:
            try:
                return await next_handler(message)
            except Exception as exc:
                if attempt >= self.max_attempts or not self.retry_on(exc):
                    raise
                logger.warning(
                    "%s failed (attempt %d of %d): %r; retrying in %.3gs",
                    type(message).__name__,
                    attempt,
                    self.max_attempts,
                    exc,
                    delay,
                )
            await asyncio.sleep(delay)
            attempt += 1
            delay = min(delay * 2, self.max_delay)
