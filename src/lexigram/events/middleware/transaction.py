"""``TransactionMiddleware``: run each message inside a unit of work.

``unit_of_work_factory()`` returns an async context manager, one per message. When the object it
yields has ``commit()``/``rollback()`` methods (sync or async), the middleware calls ``commit()``
after a successful result and ``rollback()`` after an exception or a failed result (an ``Err``, or
an event delivery with handler errors). The context manager's own exit always runs afterwards,
so factories such as SQLAlchemy's ``session.begin`` work too: they commit on a clean exit and roll
back on an exception. Without a factory the middleware passes messages straight through::

    bus.use(TransactionMiddleware(lambda: UnitOfWork(session_factory)))
"""

from __future__ import annotations

import inspect
from collections.abc import Callable
from contextlib import AbstractAsyncContextManager
from typing import Any

from lexigram.events.middleware.base import AbstractMiddleware, NextHandler, result_failed

__all__ = ["TransactionMiddleware", "UnitOfWorkFactory"]

UnitOfWorkFactory = Callable[[], AbstractAsyncContextManager[Any]]
"""Returns a fresh async context manager (a unit of work) for one message."""


async def _call_if_present(unit_of_work: Any, method: str) -> None:
    action = getattr(unit_of_work, method, None)
    if callable(action):
        outcome = action()
        if inspect.isawaitable(outcome):
            await outcome


class TransactionMiddleware(AbstractMiddleware[Any, Any]):
    """Commit on success, roll back on failure; a pass-through without a factory."""

    def __init__(self, unit_of_work_factory: UnitOfWorkFactory | None = None) -> None:
        if unit_of_work_factory is not None and not callable(unit_of_work_factory):
            raise TypeError(f"unit_of_work_factory must be callable, got {unit_of_work_factory!r}")
        self._factory = unit_of_work_factory

    async def __call__(self, message: Any, next_handler: NextHandler) -> Any:
        """Run the rest of the pipeline inside a fresh unit of work."""
        if self._factory is None:
            return await next_handler(message)
        async with self._factory() as unit_of_work:
            try:
                result = await next_handler(message)
            except BaseException:
                await _call_if_present(unit_of_work, "rollback")
                raise
            await _call_if_present(unit_of_work, "rollback" if result_failed(result) else "commit")
            return result
