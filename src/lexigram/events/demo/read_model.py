"""The demo's read side: an order-summary read model kept up to date by event handlers."""

from __future__ import annotations

from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from lexigram.contracts.events import ReadModelSessionProtocol
from lexigram.events import Query
from lexigram.events.demo.domain import ItemAdded, OrderCancelled, OrderPaid, OrderPlaced, OrderShipped
from lexigram.events.demo.storage import DEMO_READ_MODEL

__all__ = ["GetOrderSummary", "ListOrders", "OrderSummary", "OrderSummaryReadModel", "OrderSummaryTable"]


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


class OrderSummaryTable:
    """The order summary as a SQL table in the demo's SQLite file: a projection.

    It writes through the checkpoint transaction's session, so each batch of rows commits together
    with the projection's checkpoint (exactly-once effect).
    """

    name = DEMO_READ_MODEL

    async def apply(
        self,
        event: OrderPlaced | ItemAdded | OrderPaid | OrderShipped | OrderCancelled,
        session: ReadModelSessionProtocol,
    ) -> None:
        """Insert or update the order's row."""
        table = DEMO_READ_MODEL
        await self.create(session)
        if isinstance(event, OrderPlaced):
            await session.execute(
                f"INSERT INTO {table} (order_id, customer, status, items, total) "
                "VALUES (?, ?, 'placed', 0, '0')",
                event.order_id,
                event.customer,
            )
        elif isinstance(event, ItemAdded):
            rows = await session.fetch(f"SELECT items, total FROM {table} WHERE order_id = ?", event.order_id)
            items, total = rows[0]
            total = Decimal(total) + event.quantity * event.unit_price
            await session.execute(
                f"UPDATE {table} SET items = ?, total = ? WHERE order_id = ?",
                items + event.quantity,
                str(total),
                event.order_id,
            )
        else:
            status = {OrderPaid: "paid", OrderShipped: "shipped", OrderCancelled: "cancelled"}[type(event)]
            await session.execute(f"UPDATE {table} SET status = ? WHERE order_id = ?", status, event.order_id)

    async def reset(self, session: ReadModelSessionProtocol) -> None:
        """Empty the table (before a rebuild)."""
        await self.create(session)
        await session.execute(f"DELETE FROM {DEMO_READ_MODEL}")

    @staticmethod
    async def create(session: ReadModelSessionProtocol) -> None:
        """Create the table once."""
        await session.execute(
            f"CREATE TABLE IF NOT EXISTS {DEMO_READ_MODEL} (order_id TEXT PRIMARY KEY, "
            "customer TEXT NOT NULL, status TEXT NOT NULL, items INTEGER NOT NULL, total TEXT NOT NULL)"
        )

    @staticmethod
    async def rows(session: ReadModelSessionProtocol) -> list[tuple[Any, ...]]:
        """Every row, by order id."""
        return await session.fetch(
            f"SELECT order_id, customer, status, items, total FROM {DEMO_READ_MODEL} ORDER BY order_id"
        )
