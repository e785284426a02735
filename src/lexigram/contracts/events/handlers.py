"""Handler protocols: subclass them (with or without type arguments) or match them structurally."""

from __future__ import annotations

from typing import Any, Protocol, TypeVar

from lexigram.contracts.core.result import Result
from lexigram.contracts.exceptions import EventError

__all__ = [
    "CommandHandlerProtocol",
    "EventHandlerProtocol",
    "MultiEventHandlerProtocol",
    "QueryHandlerProtocol",
]

TCommand = TypeVar("TCommand", contravariant=True)
TQuery = TypeVar("TQuery", contravariant=True)
TEvent = TypeVar("TEvent", contravariant=True)
TResult = TypeVar("TResult", covariant=True)


class CommandHandlerProtocol(Protocol[TCommand, TResult]):
    """Handles one command type and returns a result::

    class CreateOrderHandler(CommandHandlerProtocol[CreateOrder, OrderId]):
        async def handle(self, command: CreateOrder) -> OrderId: ...
    """

    async def handle(self, command: TCommand) -> TResult:
        """Handle a command."""
        ...


class QueryHandlerProtocol(Protocol[TQuery, TResult]):
    """Handles one query type and returns its result."""

    async def handle(self, query: TQuery) -> TResult:
        """Handle a query."""
        ...


class EventHandlerProtocol(Protocol[TEvent]):
    """Handles events of one type; returning ``None`` or ``Ok`` is success, ``Err`` a failure."""

    async def handle(self, event: TEvent) -> Result[None, EventError] | None:
        """Handle an event."""
        ...


class MultiEventHandlerProtocol(Protocol):
    """Handles several event types, listed by ``handled_events``."""

    def handled_events(self) -> list[type]:
        """Return the event classes this handler handles."""
        ...

    async def handle(self, event: Any) -> Result[None, EventError] | None:
        """Handle an event."""
        ...
