"""``LoggingMiddleware``: log the start, the outcome and the duration of every message."""

from __future__ import annotations

import asyncio
import logging
import time
from typing import Any

from lexigram.events.middleware.base import AbstractMiddleware, NextHandler, result_failed

__all__ = ["LoggingMiddleware"]


class LoggingMiddleware(AbstractMiddleware[Any, Any]):
    """Log ``handling X``, then ``handled X in N ms`` or ``X failed after N ms: error``.

    ``logger`` defaults to ``lexigram.events.middleware``; starts and successes are logged at
    ``level`` (INFO), failures (an exception, an ``Err`` or an event delivery with handler errors)
    at ``failure_level`` (ERROR). The exception itself still propagates.
    """

    def __init__(
        self,
        logger: logging.Logger | None = None,
        level: int = logging.INFO,
        failure_level: int = logging.ERROR,
    ) -> None:
        self.logger = logger if logger is not None else logging.getLogger("lexigram.events.middleware")
        self.level = level
        self.failure_level = failure_level

    async def __call__(self, message: Any, next_handler: NextHandler) -> Any:
        """Log around the rest of the pipeline."""
        log = self.logger
        name = type(message).__name__
        extra = {"message_type": name}
        if log.isEnabledFor(self.level):
            log.log(self.level, "handling %s", name, extra=extra)
        start = time.perf_counter()
        try:
            result = await next_handler(message)
        except asyncio.CancelledError:
            log.log(self.level, "%s cancelled after %.1f ms", name, _ms(start), extra=extra)
            raise
        except Exception as exc:
            log.log(self.failure_level, "%s failed after %.1f ms: %r", name, _ms(start), exc, extra=extra)
            raise
        if result_failed(result):
            log.log(self.failure_level, "%s failed after %.1f ms: %r", name, _ms(start), result, extra=extra)
        elif log.isEnabledFor(self.level):
            log.log(self.level, "handled %s in %.1f ms", name, _ms(start), extra=extra)
        return result


def _ms(start: float) -> float:
    return (time.perf_counter() - start) * 1000
