"""Channels: the bounded per-event-class queues of the event bus, and what travels through them.

An ``Envelope`` is one accepted event with its delivery plan and the tickets it holds with each
subscriber. A ``Channel`` queues envelopes of one event class and drains them in its own task,
one envelope at a time. Publishing waits while the channel is full (backpressure), except from
inside a delivery: a handler publishing a follow-up event never waits, so it cannot deadlock.

``delivering`` tells code whether it runs inside a delivery, and which one.
"""

from __future__ import annotations

import asyncio
from collections import deque
from collections.abc import Awaitable, Callable, Iterator
from contextvars import ContextVar
from typing import Any

from lexigram.events.buses.subscribers import Plan

__all__ = ["Channel", "Envelope", "FlushBarrier", "delivering"]

delivering: ContextVar[Envelope | None] = ContextVar("lexigram_event_delivery", default=None)
"""The envelope being delivered in this context (None outside any handler or event middleware)."""

_YIELD_EVERY = 128
"""A busy channel yields to the event loop after this many deliveries in a row."""


class FlushBarrier:
    """Completes when every envelope it was attached to (and their follow-ups) is finished."""

    __slots__ = ("future", "remaining")

    def __init__(self, loop: asyncio.AbstractEventLoop) -> None:
        self.remaining = 0
        self.future: asyncio.Future[None] = loop.create_future()

    def attach(self) -> None:
        """Count one more envelope."""
        self.remaining += 1

    def release(self) -> None:
        """One envelope finished."""
        self.remaining -= 1
        if self.remaining == 0 and not self.future.done():
            self.future.set_result(None)


class Envelope:
    """One accepted event on its way to its subscribers."""

    __slots__ = ("barriers", "bus", "event", "plan", "tickets")

    def __init__(self, bus: object, event: Any, plan: Plan) -> None:
        self.bus = bus
        self.event = event
        self.plan = plan
        self.tickets = [subscriber.take_ticket() for subscriber in plan.subscribers]
        """Ticket per subscriber, -1 once finished."""
        self.barriers: list[FlushBarrier] | None = None

    def add_barrier(self, barrier: FlushBarrier) -> None:
        """Make ``barrier`` wait for this envelope."""
        barrier.attach()
        if self.barriers is None:
            self.barriers = [barrier]
        else:
            self.barriers.append(barrier)

    def inherit_barriers(self, parent: Envelope) -> None:
        """A follow-up of ``parent``: whoever waits for the parent waits for this one too."""
        if parent.barriers:
            for barrier in parent.barriers:
                self.add_barrier(barrier)

    def finish_ticket(self, index: int) -> None:
        """Finish this envelope's ticket with subscriber ``index`` (once)."""
        ticket = self.tickets[index]
        if ticket >= 0:
            self.tickets[index] = -1
            self.plan.subscribers[index].finish(ticket)

    def finish(self) -> None:
        """Delivery is over: finish every ticket not served and release the flush barriers."""
        for index, ticket in enumerate(self.tickets):
            if ticket >= 0:
                self.tickets[index] = -1
                self.plan.subscribers[index].finish(ticket)
        if self.barriers:
            for barrier in self.barriers:
                barrier.release()


class Channel:
    """A queue of envelopes of one event class, drained by one task."""

    __slots__ = ("_refusing", "_room_waiters", "_stopping", "_wakeup", "current", "queue", "task")

    def __init__(self) -> None:
        self.queue: deque[Envelope] = deque()
        self.current: Envelope | None = None
        self.task: asyncio.Task[None] | None = None
        self._wakeup: asyncio.Future[None] | None = None
        self._room_waiters: deque[asyncio.Future[None]] = deque()
        self._stopping = False
        self._refusing = False

    def unfinished(self) -> Iterator[Envelope]:
        """The envelope being delivered (if any) and every queued one."""
        if self.current is not None:
            yield self.current
        yield from self.queue

    def is_full(self, capacity: int) -> bool:
        """True when a publisher must wait: the queue is at ``capacity`` or others already wait."""
        return len(self.queue) >= capacity or bool(self._room_waiters)

    async def wait_for_room(self, capacity: int) -> None:
        """Wait until the queue holds fewer than ``capacity`` envelopes, in arrival order.

        Returns early once ``refuse_publishers`` was called (the bus is closing).
        """
        loop = asyncio.get_running_loop()
        while True:
            waiter: asyncio.Future[None] = loop.create_future()
            self._room_waiters.append(waiter)
            try:
                await waiter
            except asyncio.CancelledError:
                if waiter in self._room_waiters:
                    self._room_waiters.remove(waiter)
                else:
                    self._wake_one_publisher()
                raise
            if len(self.queue) < capacity or self._refusing:
                return

    def _wake_one_publisher(self) -> None:
        while self._room_waiters:
            waiter = self._room_waiters.popleft()
            if not waiter.done():
                waiter.set_result(None)
                return

    def refuse_publishers(self) -> None:
        """Release every waiting publisher, now and later (the bus is closing and refuses them)."""
        self._refusing = True
        while self._room_waiters:
            waiter = self._room_waiters.popleft()
            if not waiter.done():
                waiter.set_result(None)

    def push(self, envelope: Envelope) -> None:
        """Queue an envelope and wake the drain task."""
        self.queue.append(envelope)
        wakeup = self._wakeup
        if wakeup is not None:
            self._wakeup = None
            if not wakeup.done():
                wakeup.set_result(None)

    def stop(self) -> None:
        """Let the drain task end once the queue is empty."""
        self._stopping = True
        wakeup = self._wakeup
        if wakeup is not None and not wakeup.done():
            wakeup.set_result(None)

    async def drain(self, deliver: Callable[[Envelope], Awaitable[None]]) -> None:
        """Deliver queued envelopes one at a time until ``stop`` is called and the queue is empty."""
        loop = asyncio.get_running_loop()
        in_a_row = 0
        while True:
            if not self.queue:
                if self._stopping:
                    return
                self._wakeup = loop.create_future()
                await self._wakeup
                in_a_row = 0
                continue
            envelope = self.queue.popleft()
            if self._room_waiters:
                self._wake_one_publisher()
            self.current = envelope
            try:
                await deliver(envelope)
            finally:
                self.current = None
            in_a_row += 1
            if in_a_row >= _YIELD_EVERY:
                in_a_row = 0
                await asyncio.sleep(0)
