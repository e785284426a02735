"""Event-bus subscriptions: who receives which events, in what order, and when it is their turn.

A ``Subscriber`` is one handler, however many event types it is subscribed to, so it receives an
event at most once. ``Subscriptions.plan_for(event_type)`` lists the subscribers of an event class
(those subscribed to it or to a base class), highest priority first and then in subscription
order; plans are computed once per event class and dropped whenever subscriptions change.

Each subscriber hands out *tickets* in publish order and serves them one at a time: delivering
ticket ``n`` waits until tickets ``< n`` are finished. That is what keeps every handler receiving
events in publish order, one at a time, even though events of different classes are delivered by
different channels. A ticket that will not be served (the handler was skipped or unsubscribed) is
finished without running.
"""

from __future__ import annotations

import asyncio
import inspect
import itertools
from collections.abc import Hashable
from dataclasses import dataclass
from typing import Any

from lexigram.events.buses.invocation import ResolvedHandler, handler_key, qualified_name, resolve_handler
from lexigram.events.buses.routing import is_message_type
from lexigram.events.decorators import handler_priority

__all__ = ["Plan", "Subscriber", "Subscriptions"]


class Subscriber:
    """One subscribed handler: how to call it, its priority, and its queue of tickets."""

    __slots__ = (
        "_issued",
        "_skipped",
        "_waiters",
        "active",
        "call",
        "is_async",
        "name",
        "narrowed",
        "order",
        "priority",
        "served",
        "types",
    )

    def __init__(self, resolved: ResolvedHandler, priority: int, order: int) -> None:
        self.call = resolved.call
        self.is_async = resolved.is_async
        self.name = resolved.name
        self.priority = priority
        self.order = order
        self.types: set[type] = set()
        self.active = True
        self.narrowed = False
        """True once unsubscribed from some (not all) types: deliveries re-check ``matches``."""
        self.served = 0
        """The ticket being served; every ticket below it is finished."""
        self._issued = 0
        self._skipped: set[int] = set()
        self._waiters: dict[int, asyncio.Future[None]] = {}

    def __repr__(self) -> str:
        return f"<Subscriber {self.name} priority={self.priority}>"

    def matches(self, event_type: type) -> bool:
        """True when one of the subscribed types is ``event_type`` or a base class of it."""
        return any(issubclass(event_type, subscribed) for subscribed in self.types)

    def wants(self, event_type: type) -> bool:
        """True when an event of this type, planned earlier, should still be delivered."""
        return self.active and (not self.narrowed or self.matches(event_type))

    def take_ticket(self) -> int:
        """Reserve the next place in line (called in publish order)."""
        ticket = self._issued
        self._issued = ticket + 1
        return ticket

    async def wait_turn(self, ticket: int) -> None:
        """Wait until every earlier ticket is finished."""
        if self.served == ticket:
            return
        waiter: asyncio.Future[None] = asyncio.get_running_loop().create_future()
        self._waiters[ticket] = waiter
        try:
            await waiter
        finally:
            del self._waiters[ticket]

    def finish(self, ticket: int) -> None:
        """Mark ``ticket`` done (served or skipped); wake the delivery holding the next one."""
        if ticket != self.served:
            self._skipped.add(ticket)
            return
        served = ticket + 1
        while served in self._skipped:
            self._skipped.discard(served)
            served += 1
        self.served = served
        if self._waiters:
            waiter = self._waiters.get(served)
            if waiter is not None and not waiter.done():
                waiter.set_result(None)

    def reset_turns(self) -> None:
        """Forget every ticket (the bus moved to a new event loop)."""
        self._issued = self.served = 0
        self._skipped.clear()
        self._waiters.clear()


@dataclass(frozen=True, slots=True)
class Plan:
    """Who receives events of one class, in dispatch order, and the class's qualified name."""

    subscribers: tuple[Subscriber, ...]
    event_name: str


class Subscriptions:
    """The subscribers of one event bus and the per-event-class plans computed from them."""

    def __init__(self) -> None:
        self._subscribers: dict[Hashable, Subscriber] = {}
        self._order = itertools.count()
        self.plans: dict[type, Plan] = {}
        """Computed plans by event class; read directly on the publish path."""

    def add(self, event_type: type, handler: Any) -> bool:
        """Subscribe ``handler`` to ``event_type``; False when it already was."""
        if not inspect.isclass(event_type):
            raise TypeError(f"subscribe() expects an event class, got {event_type!r}")
        if getattr(event_type, "_is_protocol", False):
            raise TypeError(f"subscribe() expects an event class, not the protocol {event_type.__qualname__}")
        key = handler_key(handler)
        subscriber = self._subscribers.get(key)
        if subscriber is None:
            resolved = resolve_handler(handler, f"event handler for {event_type.__name__}")
            subscriber = Subscriber(resolved, handler_priority(handler), next(self._order))
            self._subscribers[key] = subscriber
        elif event_type in subscriber.types:
            return False
        subscriber.types.add(event_type)
        self.plans.clear()
        return True

    def remove(self, event_type: type, handler: Any) -> bool:
        """Unsubscribe ``handler`` from ``event_type``; False when it was not subscribed to it."""
        key = handler_key(handler)
        subscriber = self._subscribers.get(key)
        if subscriber is None or event_type not in subscriber.types:
            return False
        subscriber.types.discard(event_type)
        if subscriber.types:
            subscriber.narrowed = True
        else:
            subscriber.active = False
            del self._subscribers[key]
        self.plans.clear()
        return True

    def plan_for(self, event_type: type) -> Plan:
        """The plan for ``event_type`` (computed and cached on first use)."""
        plan = self.plans.get(event_type)
        if plan is None:
            if not is_message_type(event_type):
                raise TypeError(
                    f"publish() expects an event (a DomainEvent or a dataclass instance), "
                    f"got {event_type.__qualname__}"
                )
            matching = [s for s in self._subscribers.values() if s.matches(event_type)]
            matching.sort(key=lambda s: (-s.priority, s.order))
            plan = Plan(tuple(matching), qualified_name(event_type))
            self.plans[event_type] = plan
        return plan

    def reset_turns(self) -> None:
        """Forget every subscriber's tickets (the bus moved to a new event loop)."""
        for subscriber in self._subscribers.values():
            subscriber.reset_turns()
