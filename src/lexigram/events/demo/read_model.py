"""The demo's read side: an order-summary read model kept up to date by event handlers."""

from __future__ import annotations

from dataclasses import dataclass, field
from decimal import Decimal

from lexigram.events import Query

__all__ = ["GetOrderSummary", "ListOrders", "OrderSummary", "OrderSummaryReadModel"]


@dataclass
class OrderSummary:
    """One row of the order-summary read model."""

    order_id: str
    customer: str
    status: str = "placed"
    items: int = 0
    total: Decimal = Decimal("0")
    tracking_number: str | None = None
    history: list[str] = field(default_factory=list)


class GetOrderSummary(Query[OrderSummary | None]):
    """Fetch one order's summary."""

    order_id: str


class ListOrders(Query[list[OrderSummary]]):
    """List every order summary, optionally only those with a status."""

    status: str | None = None


class OrderSummaryReadModel:
    """An in-memory table of order summaries, shared by the projection handlers and the queries."""

    def __init__(self) -> None:
        self.rows: dict[str, OrderSummary] = {}

    def get(self, order_id: str) -> OrderSummary | None:
        """Return the summary of one order."""
        return self.rows.get(order_id)

    def list(self, status: str | None = None) -> list[OrderSummary]:
        """Return the summaries, optionally filtered by status."""
        return [row for row in self.rows.values() if status is None or row.status == status]
