"""The middleware shape shared by the three buses: ``async (message, next_handler) -> result``.

A middleware receives the message and the rest of the pipeline as ``next_handler``. It may act
before and after ``await next_handler(message)``, change the message or the result, or return
without calling ``next_handler`` at all (short-circuit). On the command and query buses the result
is the handler's return value; on the event bus it is the ``DispatchResult`` of delivering one
event to all of its handlers (calling ``next_handler`` twice there delivers the event twice, the
second time outside the per-handler ordering).
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import Awaitable, Callable
from typing import Any, Generic, TypeAlias, TypeVar

from lexigram.contracts.core.result import Err
from lexigram.events.types import DispatchResult

__all__ = ["AbstractMiddleware", "MiddlewareCallable", "NextHandler", "result_failed"]

TMessage = TypeVar("TMessage", contravariant=True)
TResult = TypeVar("TResult", covariant=True)

NextHandler: TypeAlias = Callable[[Any], Awaitable[Any]]
"""The rest of the pipeline: ``await next_handler(message)`` runs it and returns its result."""

MiddlewareCallable: TypeAlias = Callable[[Any, NextHandler], Awaitable[Any]]
"""Anything a bus accepts as middleware: an async callable ``(message, next_handler) -> result``."""


class AbstractMiddleware(ABC, Generic[TMessage, TResult]):
    """Base class for middleware; subclasses implement ``__call__``::

    class TimingMiddleware(AbstractMiddleware[Message, Any]):
        async def __call__(self, message: Message, next_handler: NextHandler) -> Any:
            start = time.perf_counter()
            try:
                return await next_handler(message)
            finally:
                logger.info("took %.3fs", time.perf_counter() - start)
    """

    @abstractmethod
    async def __call__(self, message: TMessage, next_handler: NextHandler) -> TResult:
        """Run around the rest of the pipeline for ``message``."""


def result_failed(result: Any) -> bool:
    """True for a result that reports a failure: an ``Err``, or a ``DispatchResult`` with errors."""
    return isinstance(result, Err) or (isinstance(result, DispatchResult) and result.has_errors)
