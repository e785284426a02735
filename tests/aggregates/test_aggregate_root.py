"""Writing aggregates: fields, applying events, version, buffer, invariants and context."""

from __future__ import annotations

from decimal import Decimal
from uuid import UUID, uuid4

import pytest

from lexigram.contracts.domain import DomainEvent
from lexigram.events import AggregateRoot, Field, InvalidOperationError


class OrderPlaced(DomainEvent):
    order_id: str


class ItemAddedEvent(DomainEvent):
    sku: str
    price: Decimal = Decimal("1.00")


class HTTPRequestSent(DomainEvent):
    url: str


class PaymentEvent(DomainEvent):
    amount: int


class Audited(DomainEvent):
    note: str


class Order(AggregateRoot):
    status: str = "draft"
    items: list[str] = Field(default_factory=list)
    total: Decimal = Decimal("0.00")
    tags: list[str] = []

    def place(self) -> None:
        self._apply(OrderPlaced(order_id=str(self.id)))

    def add_item(self, sku: str, price: str = "1.00") -> None:
        if self.status != "placed":
            raise InvalidOperationError("add items to a placed order only")
        self._apply(ItemAddedEvent(sku=sku, price=Decimal(price)))

    def _handle_order_placed(self, event: OrderPlaced) -> None:
        self.status = "placed"

    def _handle_item_added(self, event: ItemAddedEvent) -> None:
        self.items.append(event.sku)
        self.total += event.price


def test_an_aggregate_gets_a_uuid4_id_unless_given_one() -> None:
    generated = Order()
    assert isinstance(generated.id, UUID)
    assert generated.id.version == 4
    assert Order("ord-1").id == "ord-1"
    given = uuid4()
    assert Order(given).id == given
    assert Order(id="ord-2").id == "ord-2"


def test_declared_fields_are_per_instance_and_settable_by_keyword() -> None:
    first, second = Order(), Order(status="submitted", total=Decimal("5"))
    first.items.append("A")
    first.tags.append("gift")
    assert second.items == []
    assert second.tags == []
    assert (first.status, second.status, second.total) == ("draft", "submitted", Decimal("5"))


def test_an_unknown_keyword_names_the_class_and_its_fields() -> None:
    with pytest.raises(TypeError, match=r"Order\(\) got unknown field\(s\) 'colour'.*status, items, total"):
        Order(colour="red")


def test_a_subclass_init_with_its_own_signature_works() -> None:
    class Basket(AggregateRoot):
        def __init__(self, basket_id: str) -> None:
            super().__init__(basket_id)
            self._lines: list[str] = []

    basket = Basket("b-1")
    assert basket.id == "b-1"
    assert basket._lines == []
    assert basket.version == 0


def test_apply_runs_the_handler_then_records_the_event() -> None:
    order = Order("o-1")
    order.place()
    order.add_item("A", "2.50")
    assert order.status == "placed"
    assert order.items == ["A"]
    assert order.total == Decimal("2.50")
    assert order.version == 2
    assert [type(e) for e in order.get_pending_events()] == [OrderPlaced, ItemAddedEvent]


def test_handler_names_follow_the_snake_case_convention() -> None:
    class Client(AggregateRoot):
        calls: list[str] = Field(default_factory=list)

        def _handle_http_request_sent(self, event: HTTPRequestSent) -> None:
            self.calls.append(f"http:{event.url}")

        def _handle_payment_event(self, event: PaymentEvent) -> None:  # the full-name fallback
            self.calls.append(f"paid:{event.amount}")

    client = Client()
    client._apply(HTTPRequestSent(url="https://x"))
    client._apply(PaymentEvent(amount=3))
    client._apply(Audited(note="no handler: still recorded"))
    assert client.calls == ["http:https://x", "paid:3"]
    assert client.version == 3
    assert len(client.get_pending_events()) == 3


def test_the_stripped_name_wins_over_the_full_name() -> None:
    class Ledger(AggregateRoot):
        seen: list[str] = Field(default_factory=list)

        def _handle_payment(self, event: PaymentEvent) -> None:
            self.seen.append("stripped")

        def _handle_payment_event(self, event: PaymentEvent) -> None:
            self.seen.append("full")

    ledger = Ledger()
    ledger._apply(PaymentEvent(amount=1))
    assert ledger.seen == ["stripped"]


def test_handler_lookups_are_per_aggregate_class() -> None:
    class Counter(AggregateRoot):
        count: int = 0

        def _handle_payment(self, event: PaymentEvent) -> None:
            self.count += event.amount

    class Doubler(Counter):
        def _handle_payment(self, event: PaymentEvent) -> None:
            self.count += 2 * event.amount

    counter, doubler = Counter(), Doubler()
    for aggregate in (counter, doubler, counter, doubler):
        aggregate._apply(PaymentEvent(amount=1))
    assert (counter.count, doubler.count) == (2, 4)


def test_record_event_is_apply() -> None:
    order = Order("o-1")
    order.record_event(OrderPlaced(order_id="o-1"))
    assert order.status == "placed"
    assert order.version == 1


def test_add_event_records_without_a_handler() -> None:
    order = Order("o-1")
    order.add_event(OrderPlaced(order_id="o-1"))
    assert order.status == "draft"
    assert order.version == 1
    assert order.has_uncommitted_events


def test_version_counts_history_and_new_events_and_clearing_keeps_it() -> None:
    order = Order("o-1")
    order.load_from_history([OrderPlaced(order_id="o-1"), ItemAddedEvent(sku="A")])
    assert order.version == 2
    assert order.items == ["A"]
    assert not order.has_uncommitted_events
    order.add_item("B")
    assert order.version == 3
    order.clear_pending_events()
    assert order.version == 3
    assert not order.has_uncommitted_events
    order.add_item("C")
    order.clear_events()
    assert order.version == 4
    assert order.get_pending_events() == []


def test_pending_events_are_returned_as_copies() -> None:
    order = Order("o-1")
    order.place()
    pulled = order.pull_events()
    pulled.clear()
    order.get_pending_events().clear()
    assert len(order.pull_events()) == 1


def test_a_failing_invariant_records_nothing() -> None:
    class Account(AggregateRoot):
        balance: int = 0

        def _handle_payment(self, event: PaymentEvent) -> None:
            self.balance -= event.amount

        def _check_invariants(self) -> None:
            if self.balance < 0:
                raise InvalidOperationError("the balance cannot go negative")

    account = Account()
    account.add_event(PaymentEvent(amount=0))
    with pytest.raises(InvalidOperationError, match="negative"):
        account._apply(PaymentEvent(amount=5))
    assert account.version == 1
    assert len(account.get_pending_events()) == 1


def test_recorded_events_are_stamped_with_the_aggregate_and_the_original_is_untouched() -> None:
    order = Order("o-1")
    event = OrderPlaced(order_id="o-1")
    order._apply(event)
    (recorded,) = order.get_pending_events()
    assert recorded.aggregate_id == "o-1"
    assert recorded.aggregate_type == "Order"
    assert recorded.event_id == event.event_id
    assert recorded.order_id == "o-1"
    assert event.aggregate_id is None
    assert event.aggregate_type is None
    preset = OrderPlaced(order_id="o-1", aggregate_id="elsewhere", aggregate_type="Other")
    order.add_event(preset)
    assert order.get_pending_events()[-1] is preset


def test_context_ids_are_carried_by_events_recorded_after_set_context() -> None:
    order = Order("o-1")
    order.place()
    command_id, correlation = uuid4(), uuid4()
    order._set_context(command_id)
    order.add_item("A")
    order._set_context(command_id, correlation)
    order.add_item("B")
    order._apply(ItemAddedEvent(sku="C", causation_id="explicit"))
    order._set_context(None)
    order.add_item("D")
    placed, first, second, explicit, last = order.get_pending_events()
    assert placed.causation_id is None
    assert (first.causation_id, first.correlation_id) == (command_id, command_id)
    assert (second.causation_id, second.correlation_id) == (command_id, correlation)
    assert (explicit.causation_id, explicit.correlation_id) == ("explicit", correlation)
    assert (last.causation_id, last.correlation_id) == (None, None)


def test_non_message_events_are_recorded_as_they_are() -> None:
    class Plain:
        pass

    order, event = Order("o-1"), Plain()
    order._apply(event)
    assert order.get_pending_events() == [event]


def test_repr_shows_the_id_and_version() -> None:
    assert repr(Order("o-1")) == "Order(id='o-1', version=0)"


def test_a_field_set_before_super_init_is_kept() -> None:
    class Draft(Order):
        def __init__(self, order_id: str) -> None:
            self.status = "imported"
            self.items = ["pre-filled"]
            super().__init__(order_id)

    draft = Draft("d-1")
    assert (draft.status, draft.items, draft.total) == ("imported", ["pre-filled"], Decimal("0.00"))
