"""Snapshotting an aggregate and restoring it."""

from __future__ import annotations

from uuid import uuid4

import pytest

from lexigram.contracts.domain import DomainEvent
from lexigram.events import AggregateRoot, Field, Snapshot


class ItemAdded(DomainEvent):
    sku: str


class Order(AggregateRoot):
    status: str = "draft"
    items: list[str] = Field(default_factory=list)

    def __init__(self, order_id: object = None, **fields: object) -> None:
        super().__init__(order_id, **fields)
        self._notes: dict[str, list[str]] = {"internal": []}

    def add_item(self, sku: str) -> None:
        self._apply(ItemAdded(sku=sku))

    def _handle_item_added(self, event: ItemAdded) -> None:
        self.items.append(event.sku)
        self._notes["internal"].append(event.sku)


def _order_with_items(*skus: str) -> Order:
    order = Order("o-1")
    for sku in skus:
        order.add_item(sku)
    return order


def test_a_snapshot_holds_the_id_type_version_and_a_copy_of_the_state() -> None:
    order = _order_with_items("A", "B")
    snapshot = order.create_snapshot()
    assert (snapshot.aggregate_id, snapshot.aggregate_type, snapshot.version) == ("o-1", "Order", 2)
    assert snapshot.state == {
        "id": "o-1",
        "status": "draft",
        "items": ["A", "B"],
        "_notes": {"internal": ["A", "B"]},
    }
    order.add_item("C")
    assert snapshot.state["items"] == ["A", "B"]
    assert snapshot.state["_notes"]["internal"] == ["A", "B"]
    assert order.to_dict() == order.create_snapshot().state


def test_the_state_leaves_out_the_framework_bookkeeping() -> None:
    order = _order_with_items("A")
    order._set_context(uuid4())
    state = order.to_dict()
    assert not {"_version", "_pending_events", "_causation_id", "_correlation_id"} & set(state)


def test_load_from_snapshot_restores_attributes_and_version() -> None:
    snapshot = _order_with_items("A", "B").create_snapshot()
    restored = Order("o-1")
    restored.load_from_snapshot(snapshot)
    assert restored.items == ["A", "B"]
    assert restored._notes == {"internal": ["A", "B"]}
    assert restored.version == 2
    assert not restored.has_uncommitted_events
    restored.add_item("C")
    assert snapshot.state["items"] == ["A", "B"]


def test_from_snapshot_builds_a_new_aggregate_from_a_snapshot_or_a_state() -> None:
    snapshot = _order_with_items("A").create_snapshot()
    from_snapshot = Order.from_snapshot(snapshot)
    assert from_snapshot.id == "o-1"
    assert from_snapshot.items == ["A"]
    assert from_snapshot.version == 1
    from_state = Order.from_snapshot(snapshot.state)
    assert from_state.id == "o-1"
    assert from_state.items == ["A"]
    assert from_state.version == 0
    assert Order.from_snapshot(snapshot.state, version=1).version == 1


def test_from_snapshot_uses_the_snapshot_id_when_the_state_has_none() -> None:
    snapshot = Snapshot(aggregate_id="o-9", aggregate_type="Order", version=4, state={"status": "paid"})
    order = Order.from_snapshot(snapshot)
    assert (order.id, order.status, order.items, order.version) == ("o-9", "paid", [], 4)


def test_from_snapshot_works_when_init_needs_more_than_an_id() -> None:
    class Shipment(AggregateRoot):
        def __init__(self, shipment_id: str, carrier: str) -> None:
            super().__init__(shipment_id)
            self.carrier = carrier

    shipment = Shipment("s-1", "DHL")
    restored = Shipment.from_snapshot(shipment.create_snapshot())
    assert (restored.id, restored.carrier) == ("s-1", "DHL")


def test_from_snapshot_rejects_anything_else() -> None:
    with pytest.raises(TypeError, match="Snapshot or a state dict"):
        Order.from_snapshot(["not", "a", "snapshot"])  # type: ignore[arg-type]


def test_load_from_snapshot_can_take_over_a_state_it_owns() -> None:
    snapshot = _order_with_items("A").create_snapshot()
    owner = Order("o-1")
    owner.load_from_snapshot(snapshot, copy_state=False)
    assert owner.items is snapshot.state["items"]
    copier = Order("o-1")
    copier.load_from_snapshot(snapshot)
    assert copier.items == ["A"]
    assert copier.items is not snapshot.state["items"]
