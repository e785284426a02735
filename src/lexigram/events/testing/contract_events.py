"""The events the conformance suites append.

Their names are prefixed with ``Conformance`` so they never collide with an application's event
types in the process-wide registry that persistent stores rebuild events from. Their payloads
cover the value types a store must round-trip: strings, integers, decimals, dates, UUIDs, lists,
dicts and optional values.
"""

from __future__ import annotations

from dataclasses import field
from datetime import date
from decimal import Decimal
from uuid import UUID

from lexigram.contracts.messages import DomainEvent
from lexigram.events.messages.event import Event

__all__ = ["ConformanceFreeForm", "ConformanceItemAdded", "ConformanceOrderPlaced", "ConformanceOrderShipped"]


class ConformanceOrderPlaced(DomainEvent):
    """A plain ``DomainEvent`` (no ``version`` field) with a varied payload."""

    order_id: str
    customer_id: UUID
    total: Decimal
    placed_on: date
    tags: list[str] = field(default_factory=list)
    lines: dict[str, int] = field(default_factory=dict)
    note: str | None = None


class ConformanceItemAdded(DomainEvent):
    """A small ``DomainEvent``."""

    order_id: str
    sku: str
    quantity: int = 1


class ConformanceOrderShipped(Event):
    """An ``Event`` subclass, which declares ``version``: stores fill it with the stream version."""

    order_id: str
    tracking: str = ""


class ConformanceFreeForm(Event):
    """An event class without declared payload: any keyword payload is accepted."""
