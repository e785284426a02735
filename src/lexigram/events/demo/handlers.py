"""The demo's handlers: commands change orders, events update the read model, queries read it."""

from __future__ import annotations

from collections.abc import Callable

from lexigram.contracts.events import EventBusProtocol, EventStoreProtocol
from lexigram.events import EventSourcingRepository
from lexigram.events.demo.domain import (
    CancelOrder,
    ItemAdded,
    Order,
    OrderCancelled,
    OrderPaid,
    OrderPlaced,
    OrderShipped,
    PayOrder,
    PlaceOrder,
    ShipOrder,
)
from lexigram.events.demo.read_model import (
    GetOrderSummary,
    ListOrders,
    OrderSummary,
    OrderSummaryReadModel,
)

__all__ = [
    "CancelOrderHandler",
    "GetOrderSummaryHandler",
    "ListOrdersHandler",
    "Narrator",
    "OrderRepository",
    "OrderSummaryProjector",
    "PayOrderHandler",
    "PlaceOrderHandler",
    "ShipOrderHandler",
    "ShippingNotifier",
]


class Narrator:
    """Where the demo prints what happens (a provider, so handlers can be given it)."""

    def __init__(self) -> None:
        self.say: Callable[[str], None] = print


class OrderRepository(EventSourcingRepository[Order]):
    """Loads and saves orders as event streams, publishing new events on the app's bus."""

    def __init__(self, store: EventStoreProtocol, bus: EventBusProtocol) -> None:
        super().__init__(Order, store, event_bus=bus)


class PlaceOrderHandler:
    """PlaceOrder: a new order stream."""

    def __init__(self, orders: OrderRepository) -> None:
        self.orders = orders

    async def handle(self, command: PlaceOrder) -> str:
        order = Order(command.order_id)
        order.place(command.customer, command.lines)
        await self.orders.save(order)
        return str(order.id)


class PayOrderHandler:
    """PayOrder: load, pay, save (optimistic concurrency guards the stream)."""

    def __init__(self, orders: OrderRepository) -> None:
        self.orders = orders

    async def handle(self, command: PayOrder) -> int:
        order = await self.orders.get_or_raise(command.order_id)
        order.pay(command.amount)
        await self.orders.save(order)
        return order.version


class ShipOrderHandler:
    """ShipOrder: load, ship, save."""

    def __init__(self, orders: OrderRepository) -> None:
        self.orders = orders

    async def handle(self, command: ShipOrder) -> str | None:
        order = await self.orders.get_or_raise(command.order_id)
        order.ship(command.carrier)
        await self.orders.save(order)
        return order.tracking_number


class CancelOrderHandler:
    """CancelOrder: load, cancel, save."""

    def __init__(self, orders: OrderRepository) -> None:
        self.orders = orders

    async def handle(self, command: CancelOrder) -> None:
        order = await self.orders.get_or_raise(command.order_id)
        order.cancel(command.reason)
        await self.orders.save(order)


class OrderSummaryProjector:
    """Keeps the order-summary read model in step with the order events."""

    def __init__(self, read_model: OrderSummaryReadModel) -> None:
        self.read_model = read_model

    async def handle(
        self, event: OrderPlaced | ItemAdded | OrderPaid | OrderShipped | OrderCancelled
    ) -> None:
        rows = self.read_model.rows
        if isinstance(event, OrderPlaced):
            rows[event.order_id] = OrderSummary(event.order_id, event.customer)
            rows[event.order_id].history.append("placed")
            return
        row = rows[event.order_id]
        if isinstance(event, ItemAdded):
            row.items += event.quantity
            row.total += event.quantity * event.unit_price
        elif isinstance(event, OrderPaid):
            row.status = "paid"
            row.history.append(f"paid {event.amount}")
        elif isinstance(event, OrderShipped):
            row.status, row.tracking_number = "shipped", event.tracking_number
            row.history.append(f"shipped with {event.carrier}")
        else:
            row.status = "cancelled"
            row.history.append(f"cancelled: {event.reason}")


class ShippingNotifier:
    """Tells the customer when an order ships (prints instead of e-mailing)."""

    def __init__(self, narrator: Narrator) -> None:
        self.narrator = narrator

    async def handle(self, event: OrderShipped) -> None:
        self.narrator.say(
            f"   [email] order {event.order_id} is on its way with {event.carrier}, "
            f"tracking {event.tracking_number}"
        )


class GetOrderSummaryHandler:
    """GetOrderSummary: one row of the read model."""

    def __init__(self, read_model: OrderSummaryReadModel) -> None:
        self.read_model = read_model

    async def handle(self, query: GetOrderSummary) -> OrderSummary | None:
        return self.read_model.get(query.order_id)


class ListOrdersHandler:
    """ListOrders: the read model's rows."""

    def __init__(self, read_model: OrderSummaryReadModel) -> None:
        self.read_model = read_model

    async def handle(self, query: ListOrders) -> list[OrderSummary]:
        return self.read_model.list(query.status)
