"""Message classes shared by the bus tests."""

from __future__ import annotations

from dataclasses import dataclass

from lexigram.events import Command, DomainEvent, Query


class PlaceOrder(Command):
    order_id: str
    quantity: int = 1


class CancelOrder(Command):
    order_id: str


class GetOrder(Query):
    order_id: str


class ListOrders(Query):
    customer_id: str
    tags: list[str] | None = None


class OrderEvent(DomainEvent):
    order_id: str


class OrderPlaced(OrderEvent):
    pass


class OrderShipped(OrderEvent):
    pass


class PaymentReceived(DomainEvent):
    amount: int


@dataclass(frozen=True)
class PlainCommand:
    """A message that is a plain dataclass, not a ``Command`` subclass."""

    name: str
