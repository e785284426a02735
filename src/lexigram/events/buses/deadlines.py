"""Handler deadlines for the event bus: one timer for every running handler call.

``asyncio.timeout`` arms and cancels a timer per call, which costs more than a quick handler. The
event bus gives every handler call the same time limit, so ``HandlerDeadlines`` keeps the running
calls in a dict (task → deadline) and one timer armed for the nearest deadline. When it fires,
overdue calls are cancelled; the caller sees the cancellation, learns from ``stop`` that it was a
deadline, and turns it into ``TimeoutError`` after ``uncancel()``, as ``asyncio.timeout`` does.

A task runs at most one handler call at a time, so the task identifies the call.
"""

from __future__ import annotations

import asyncio
import math

__all__ = ["HandlerDeadlines"]


class HandlerDeadlines:
    """Deadlines of the handler calls running now, enforced by a single timer."""

    __slots__ = ("_expired", "_running", "_timer", "_timer_at")

    def __init__(self) -> None:
        self._running: dict[asyncio.Task[object], float] = {}
        self._expired: set[asyncio.Task[object]] = set()
        self._timer: asyncio.TimerHandle | None = None
        self._timer_at = math.inf

    def start(self, task: asyncio.Task[object], loop: asyncio.AbstractEventLoop, seconds: float) -> None:
        """``task`` starts a handler call that must end within ``seconds``."""
        deadline = loop.time() + seconds
        self._running[task] = deadline
        if deadline < self._timer_at:
            self._arm(loop, deadline)

    def stop(self, task: asyncio.Task[object]) -> bool:
        """``task``'s handler call ended; True when it had been cancelled for running too long."""
        del self._running[task]
        if self._expired and task in self._expired:
            self._expired.discard(task)
            return True
        return False

    def _arm(self, loop: asyncio.AbstractEventLoop, when: float) -> None:
        if self._timer is not None:
            self._timer.cancel()
        self._timer = loop.call_at(when, self._expire_overdue, loop)
        self._timer_at = when

    def _expire_overdue(self, loop: asyncio.AbstractEventLoop) -> None:
        self._timer = None
        self._timer_at = math.inf
        now = loop.time()
        nearest = math.inf
        for task, deadline in self._running.items():
            if deadline <= now:
                if task not in self._expired:
                    self._expired.add(task)
                    task.cancel()
            elif deadline < nearest:
                nearest = deadline
        if nearest < math.inf:
            self._arm(loop, nearest)

    def reset(self) -> None:
        """Disarm the timer and forget every call (the bus stopped or moved to another loop)."""
        if self._timer is not None:
            self._timer.cancel()
        self._timer = None
        self._timer_at = math.inf
        self._running.clear()
        self._expired.clear()
