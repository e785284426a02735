"""Protocols of the three buses, the event publisher and event middleware."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any, Protocol

from lexigram.contracts.core.result import Result
from lexigram.contracts.exceptions import EventError

__all__ = [
    "CommandBusProtocol",
    "DomainEventPublisherProtocol",
    "EventBusProtocol",
    "EventMiddlewareProtocol",
    "QueryBusProtocol",
]


class CommandBusProtocol(Protocol):
    """Routes each command to its one handler."""

    async def dispatch(self, command: Any) -> Any:
        """Dispatch a command to its handler and return the handler's result."""
        ...


class QueryBusProtocol(Protocol):
    """Routes each query to its one handler."""

    async def execute(self, query: Any) -> Any:
        """Execute a query through its handler and return the result."""
        ...


class EventBusProtocol(Protocol):
    """Publishes events to every subscribed handler."""

    async def publish(self, event: Any) -> Result[None, EventError]:
        """Accept an event for delivery: ``Ok(None)`` once queued, ``Err`` when refused."""
        ...

    def subscribe(self, event_type: type, handler: Any) -> None:
        """Subscribe a handler to an event type (and its subclasses)."""
        ...

    def unsubscribe(self, event_type: type, handler: Any) -> Any:
        """Remove a handler's subscription to an event type."""
        ...


class DomainEventPublisherProtocol(Protocol):
    """Anything that can publish a domain event."""

    async def publish(self, event: Any) -> Any:
        """Publish a domain event."""
        ...


class EventMiddlewareProtocol(Protocol):
    """Wraps the delivery of one event: ``await mw(event, next_handler)``."""

    async def __call__(self, event: Any, next_handler: Callable[[Any], Awaitable[Any]]) -> Any:
        """Run around the delivery of ``event``; call ``next_handler(event)`` to continue."""
        ...
