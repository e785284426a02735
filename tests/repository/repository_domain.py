"""Domain objects and test doubles shared by the repository tests."""

from __future__ import annotations

from typing import Any

from lexigram.contracts.core.result import Err, Ok, Result
from lexigram.contracts.domain import DomainEvent
from lexigram.events import AggregateRoot, EventError, Field, InMemoryEventStore, InvalidOperationError


class OrderPlaced(DomainEvent):
    customer: str


class ItemAdded(DomainEvent):
    sku: str


class Order(AggregateRoot):
    customer: str = ""
    items: list[str] = Field(default_factory=list)

    @classmethod
    def place(cls, order_id: Any, customer: str) -> Order:
        order = cls(order_id)
        order._apply(OrderPlaced(customer=customer))
        return order

    def add_item(self, sku: str) -> None:
        if not self.customer:
            raise InvalidOperationError("place the order first")
        self._apply(ItemAdded(sku=sku))

    def _handle_order_placed(self, event: OrderPlaced) -> None:
        self.customer = event.customer

    def _handle_item_added(self, event: ItemAdded) -> None:
        self.items.append(event.sku)


class RecordingBus:
    """An event bus that records what it is given (and can refuse it)."""

    def __init__(self, refuse: bool = False) -> None:
        self.published: list[Any] = []
        self.refuse = refuse

    async def publish(self, event: Any) -> Result[None, EventError]:
        if self.refuse:
            return Err(EventError("the bus is closed"))
        self.published.append(event)
        return Ok(None)


class ReadRecordingStore(InMemoryEventStore):
    """An in-memory store that remembers the ``from_version`` of each read."""

    def __init__(self) -> None:
        super().__init__()
        self.reads: list[int] = []

    async def read(self, stream_id: str, from_version: int = 0, *args: Any, **kwargs: Any) -> list[Any]:
        self.reads.append(from_version)
        return await super().read(stream_id, from_version, *args, **kwargs)
