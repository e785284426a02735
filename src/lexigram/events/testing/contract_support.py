"""Shared helpers of the conformance suites: event factories and small async utilities."""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import date
from decimal import Decimal
from typing import Any, TypeVar
from uuid import UUID

from lexigram.events.testing.contract_events import (
    ConformanceItemAdded,
    ConformanceOrderPlaced,
    ConformanceOrderShipped,
)

__all__ = ["collect", "fill_stream", "item", "placed", "shipped"]

T = TypeVar("T")

CUSTOMER = UUID("7c0d3c51-5b1e-4b57-9a43-6f0e3f5c7a11")


def placed(order_id: str = "o-1", **changes: Any) -> ConformanceOrderPlaced:
    """A ``ConformanceOrderPlaced`` with a full payload."""
    payload: dict[str, Any] = {
        "order_id": order_id,
        "customer_id": CUSTOMER,
        "total": Decimal("19.99"),
        "placed_on": date(2024, 5, 1),
        "tags": ["gift", "express"],
        "lines": {"SKU-1": 2},
        "note": None,
    }
    payload.update(changes)
    return ConformanceOrderPlaced(**payload)


def item(order_id: str = "o-1", sku: str = "SKU-1", quantity: int = 1) -> ConformanceItemAdded:
    """A ``ConformanceItemAdded``."""
    return ConformanceItemAdded(order_id=order_id, sku=sku, quantity=quantity)


def shipped(order_id: str = "o-1", tracking: str = "T-1", **base_fields: Any) -> ConformanceOrderShipped:
    """A ``ConformanceOrderShipped`` (an ``Event``, with a ``version`` field)."""
    return ConformanceOrderShipped(order_id=order_id, tracking=tracking, **base_fields)


async def collect(events: AsyncIterator[T]) -> list[T]:
    """Drain an async iterator into a list."""
    return [event async for event in events]


async def fill_stream(store: Any, stream_id: str, count: int) -> None:
    """Append ``count`` item events to a stream, one append each."""
    for number in range(count):
        await store.append(stream_id, [item(stream_id, sku=f"SKU-{number + 1}")])
