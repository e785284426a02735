"""The demo's write side: order commands, events and the ``Order`` aggregate."""

from __future__ import annotations

from decimal import Decimal

from lexigram.events import AggregateRoot, Command, DomainEvent, Field, InvalidOperationError

__all__ = [
    "ORDER_EVENTS",
    "CancelOrder",
    "ItemAdded",
    "Order",
    "OrderCancelled",
    "OrderPaid",
    "OrderPlaced",
    "OrderShipped",
    "PayOrder",
    "PlaceOrder",
    "ShipOrder",
]


class PlaceOrder(Command):
    """Place an order for a customer with its lines: ``[(sku, quantity, unit_price), ...]``."""

    order_id: str
    customer: str
    lines: list[tuple[str, int, Decimal]]


class PayOrder(Command):
    """Record the payment of an order."""

    order_id: str
    amount: Decimal


class ShipOrder(Command):
    """Hand a paid order to the carrier."""

    order_id: str
    carrier: str


class CancelOrder(Command):
    """Cancel an order that has not shipped."""

    order_id: str
    reason: str


class OrderPlaced(DomainEvent):
    """An order was placed."""

    order_id: str
    customer: str


class ItemAdded(DomainEvent):
    """A line was added to an order."""

    order_id: str
    sku: str
    quantity: int
    unit_price: Decimal


class OrderPaid(DomainEvent):
    """An order was paid in full."""

    order_id: str
    amount: Decimal


class OrderShipped(DomainEvent):
    """An order left the warehouse."""

    order_id: str
    carrier: str
    tracking_number: str


class OrderCancelled(DomainEvent):
    """An order was cancelled."""

    order_id: str
    reason: str


class Order(AggregateRoot):
    """An order: placed, paid, shipped or cancelled. Every change is an event."""

    status: str = "new"
    customer: str = ""
    lines: list[tuple[str, int, Decimal]] = Field(default_factory=list)
    paid: Decimal = Decimal("0")
    tracking_number: str | None = None

    @property
    def total(self) -> Decimal:
        """The sum of the order lines."""
        return sum((quantity * price for _, quantity, price in self.lines), Decimal("0"))

    def place(self, customer: str, lines: list[tuple[str, int, Decimal]]) -> None:
        """Place the order with its lines."""
        if self.status != "new":
            raise InvalidOperationError(f"order {self.id} was already placed")
        if not lines:
            raise InvalidOperationError("an order needs at least one line")
        self._apply(OrderPlaced(order_id=str(self.id), customer=customer))
        for sku, quantity, unit_price in lines:
            self._apply(ItemAdded(order_id=str(self.id), sku=sku, quantity=quantity, unit_price=unit_price))

    def pay(self, amount: Decimal) -> None:
        """Pay the order; the amount must match the total."""
        if self.status != "placed":
            raise InvalidOperationError(f"order {self.id} cannot be paid while {self.status}")
        if amount != self.total:
            raise InvalidOperationError(f"order {self.id} totals {self.total}, not {amount}")
        self._apply(OrderPaid(order_id=str(self.id), amount=amount))

    def ship(self, carrier: str) -> None:
        """Ship a paid order."""
        if self.status != "paid":
            raise InvalidOperationError(f"order {self.id} cannot ship while {self.status}")
        tracking = f"{carrier[:3].upper()}-{str(self.id)[-4:]}-{self.version:03d}"
        self._apply(OrderShipped(order_id=str(self.id), carrier=carrier, tracking_number=tracking))

    def cancel(self, reason: str) -> None:
        """Cancel the order unless it has shipped."""
        if self.status in ("shipped", "cancelled"):
            raise InvalidOperationError(f"order {self.id} cannot be cancelled while {self.status}")
        self._apply(OrderCancelled(order_id=str(self.id), reason=reason))

    def _handle_order_placed(self, event: OrderPlaced) -> None:
        self.status, self.customer = "placed", event.customer

    def _handle_item_added(self, event: ItemAdded) -> None:
        self.lines.append((event.sku, event.quantity, event.unit_price))

    def _handle_order_paid(self, event: OrderPaid) -> None:
        self.status, self.paid = "paid", event.amount

    def _handle_order_shipped(self, event: OrderShipped) -> None:
        self.status, self.tracking_number = "shipped", event.tracking_number

    def _handle_order_cancelled(self, event: OrderCancelled) -> None:
        self.status = "cancelled"


ORDER_EVENTS: tuple[type[DomainEvent], ...] = (
    OrderPlaced,
    ItemAdded,
    OrderPaid,
    OrderShipped,
    OrderCancelled,
)
"""The demo's event classes, registered on a durable store by name so that other classes that
happen to share a name (the global registry keeps the last one defined) never stand in for them."""
