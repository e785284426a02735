"""Protocols of read-model projections and aggregate factories."""

from __future__ import annotations

from typing import Any, Protocol, TypeVar

__all__ = ["AggregateFactoryProtocol", "ProjectionProtocol"]

TAggregate_co = TypeVar("TAggregate_co", covariant=True)


class ProjectionProtocol(Protocol):
    """Builds a read model from events.

    Implement ``apply(event)`` (sync or async) or ``async handle_event(event)``; subclassing this
    protocol is optional.
    """

    def apply(self, event: Any) -> Any:
        """Apply an event to the projection's state."""
        ...


class AggregateFactoryProtocol(Protocol[TAggregate_co]):
    """Creates new aggregate instances."""

    def create(self, aggregate_id: Any) -> TAggregate_co:
        """Create an aggregate with this id."""
        ...
