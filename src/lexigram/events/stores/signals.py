"""``AppendSignal``: how a store wakes the readers that follow its global log.

The signal is a generation counter. A store calls ``notify()`` after every successful append,
which adds one to the generation and wakes the tasks waiting in ``wait()``. A reader notes the
generation, reads, and when the read came back short waits for a greater generation: an append
that lands between its read and its wait has already moved the generation on, so ``wait`` returns
at once and no wake-up is ever lost.

``notify()`` is on the append path, so it costs an integer increment when nobody waits and
resolves one future per waiter otherwise. Waiters are plain futures of the running event loop; a
signal is used from one event loop (one thread), like the stores themselves.
"""

from __future__ import annotations

import asyncio
import contextlib
import math

__all__ = ["AppendSignal"]


class AppendSignal:
    """A generation counter that wakes waiting readers when it grows.

    ``generation`` never decreases. ``wait(after_generation, max_wait)`` returns the generation as
    soon as it exceeds ``after_generation`` (immediately when it already does), or after
    ``max_wait`` seconds with the generation unchanged. A wake-up is a hint to read again: the
    store may wake readers for events they cannot see yet, or for nothing.
    """

    __slots__ = ("_generation", "_waiters")

    def __init__(self) -> None:
        self._generation = 0
        self._waiters: set[asyncio.Future[None]] = set()

    @property
    def generation(self) -> int:
        """How many times the signal has been raised (never decreases)."""
        return self._generation

    @property
    def waiting(self) -> int:
        """How many tasks are waiting right now."""
        return len(self._waiters)

    def notify(self) -> None:
        """Raise the signal: add one to the generation and wake every waiter."""
        self._generation += 1
        if self._waiters:
            self._wake_all()

    async def wait(self, after_generation: int, max_wait: float | None = None) -> int:
        """Wait until ``generation`` exceeds ``after_generation`` or ``max_wait`` seconds pass.

        Returns the generation at that moment: greater than ``after_generation`` when woken,
        unchanged on a timeout. ``max_wait=None`` waits without a limit; 0 (or less) only checks.
        """
        self._before_wait()
        if self._generation > after_generation:
            return self._generation
        if max_wait is not None and (max_wait <= 0 or math.isnan(max_wait)):
            return self._generation
        loop = asyncio.get_running_loop()
        deadline = None if max_wait is None or math.isinf(max_wait) else loop.time() + max_wait
        try:
            async with asyncio.timeout_at(deadline):
                while self._generation <= after_generation:
                    waiter: asyncio.Future[None] = loop.create_future()
                    self._waiters.add(waiter)
                    try:
                        await waiter
                    finally:
                        self._waiters.discard(waiter)
        except TimeoutError:
            pass
        return self._generation

    def _before_wait(self) -> None:
        """Called at the start of every ``wait`` (a subclass starts listening for other processes)."""

    def _wake_all(self) -> None:
        waiters, self._waiters = self._waiters, set()
        for waiter in waiters:
            if not waiter.done():
                with contextlib.suppress(RuntimeError):  # its event loop is closed: nobody to wake
                    waiter.set_result(None)
