"""Declaring events and commands: plain annotated subclasses and @dataclass subclasses."""

from __future__ import annotations

import dataclasses
import json
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from decimal import Decimal
from enum import Enum
from uuid import UUID, uuid4

import pytest

from lexigram.contracts.domain import DomainEvent
from lexigram.contracts.exceptions import InvalidMessageError, LexigramError
from lexigram.contracts.messages import event_types, payload_fields
from lexigram.events import Command, Event, IntegrationEvent, Query


class OrderShipped(DomainEvent):
    order_id: str
    tracking_number: str
    parcels: int = 1


class Priority(Enum):
    LOW = "low"
    HIGH = "high"


@dataclass
class PlaceOrder(Command):
    order_id: str
    lines: list[dict[str, int]] = field(default_factory=list)


@dataclass(frozen=True, kw_only=True)
class RefundIssued(DomainEvent):
    order_id: str
    amount: Decimal


def test_an_event_has_its_payload_and_fresh_base_fields() -> None:
    event = OrderShipped(order_id="o-1", tracking_number="T-1")
    assert (event.order_id, event.tracking_number, event.parcels) == ("o-1", "T-1", 1)
    assert isinstance(event.event_id, UUID)
    assert event.event_id.version == 4
    assert event.occurred_at.tzinfo is UTC
    assert event.event_type == "OrderShipped"
    assert event.schema_version == 1
    assert event.aggregate_id is None
    assert event.sequence_number is None
    assert payload_fields(OrderShipped) == ("order_id", "tracking_number", "parcels")


def test_two_events_get_different_ids() -> None:
    ids = {OrderShipped(order_id="o", tracking_number="t").event_id for _ in range(1000)}
    assert len(ids) == 1000


def test_base_fields_can_be_given_explicitly() -> None:
    event_id, when = uuid4(), datetime(2024, 5, 1, tzinfo=UTC)
    event = OrderShipped(
        order_id="o-1", tracking_number="T", event_id=event_id, occurred_at=when, actor_id="ada"
    )
    assert (event.event_id, event.occurred_at, event.actor_id) == (event_id, when, "ada")


def test_events_are_immutable() -> None:
    event = OrderShipped(order_id="o-1", tracking_number="T-1")
    with pytest.raises(AttributeError):
        event.order_id = "o-2"  # type: ignore[misc]
    with pytest.raises(dataclasses.FrozenInstanceError):
        event.event_id = uuid4()  # type: ignore[misc]
    with pytest.raises(AttributeError):
        del event.order_id  # type: ignore[misc]
    assert event.order_id == "o-1"


def test_a_missing_field_names_the_class_and_the_field() -> None:
    with pytest.raises(TypeError, match=r"OrderShipped: missing required field 'tracking_number'"):
        OrderShipped(order_id="o-1")  # type: ignore[call-arg]


def test_an_unknown_field_is_rejected_and_the_valid_fields_listed() -> None:
    expected = r"unknown field\(s\) 'colour'; its fields are order_id, tracking_number, parcels, plus"
    with pytest.raises(InvalidMessageError, match=expected):
        OrderShipped(order_id="o-1", tracking_number="T", colour="red")  # type: ignore[call-arg]


def test_a_wrongly_typed_value_is_rejected_with_a_typed_error() -> None:
    with pytest.raises(InvalidMessageError) as caught:
        OrderShipped(order_id=42, tracking_number="T")  # type: ignore[arg-type]
    assert "OrderShipped: field 'order_id' expects str, got int 42" in str(caught.value)
    assert isinstance(caught.value, TypeError)
    assert isinstance(caught.value, LexigramError)
    assert caught.value.details["field"] == "order_id"


def test_positional_arguments_get_a_clear_error() -> None:
    with pytest.raises(InvalidMessageError, match="keyword arguments only"):
        OrderShipped("o-1", "T")  # type: ignore[misc]


def test_bool_is_not_an_int_but_an_int_is_a_float_and_a_decimal() -> None:
    class Measured(DomainEvent):
        count: int
        ratio: float
        price: Decimal

    with pytest.raises(InvalidMessageError, match="count"):
        Measured(count=True, ratio=1.0, price=Decimal(1))
    measured = Measured(count=3, ratio=2, price=5)
    assert measured.ratio == 2.0
    assert isinstance(measured.ratio, float)
    assert measured.price == Decimal(5)
    assert isinstance(measured.price, Decimal)


def test_checked_types_cover_the_documented_set() -> None:
    class Everything(DomainEvent):
        text: str
        blob: bytes
        ref: UUID
        at: datetime
        on: date
        level: Priority
        tags: list[str]
        attributes: dict[str, int]
        flags: set[str]
        pair: tuple[int, int]
        note: str | None = None

    good = {
        "text": "t",
        "blob": b"x",
        "ref": uuid4(),
        "at": datetime.now(UTC),
        "on": date(2024, 1, 1),
        "level": Priority.LOW,
        "tags": [],
        "attributes": {},
        "flags": set(),
        "pair": (1, 2),
    }
    Everything(**good)
    for name, bad in [
        ("blob", "x"),
        ("ref", "not-a-uuid"),
        ("at", "2024-01-01"),
        ("on", 20240101),
        ("level", "medium"),
        ("tags", ("a",)),
        ("attributes", []),
        ("flags", ["a"]),
        ("pair", [1, 2]),
        ("note", 5),
    ]:
        with pytest.raises(InvalidMessageError, match=f"'{name}'"):
            Everything(**{**good, name: bad})


def test_an_enum_field_accepts_a_member_value() -> None:
    class Escalated(DomainEvent):
        level: Priority

    assert Escalated(level="high").level is Priority.HIGH


def test_unchecked_annotations_accept_anything() -> None:
    class Custom:
        pass

    class Annotated_(DomainEvent):
        thing: Custom
        anything: object

    value = Custom()
    assert Annotated_(thing=value, anything=1).thing is value


def test_mutable_defaults_are_not_shared_between_instances() -> None:
    class Tagged(DomainEvent):
        tags: list[str] = []

    first, second = Tagged(), Tagged()
    first.tags.append("x")
    assert second.tags == []


def test_equality_is_by_value_and_includes_the_event_id() -> None:
    event = OrderShipped(order_id="o-1", tracking_number="T")
    same = OrderShipped(
        order_id="o-1", tracking_number="T", event_id=event.event_id, occurred_at=event.occurred_at
    )
    assert event == same
    assert hash(event) == hash(same)
    assert event != OrderShipped(order_id="o-1", tracking_number="T")
    changed = OrderShipped(
        order_id="o-1", tracking_number="X", event_id=event.event_id, occurred_at=event.occurred_at
    )
    assert event != changed
    assert event != object()


def test_repr_shows_the_payload() -> None:
    text = repr(OrderShipped(order_id="o-1", tracking_number="T"))
    assert text.startswith("OrderShipped(order_id='o-1', tracking_number='T', parcels=1")


def test_a_plain_dataclass_command_keeps_every_behaviour() -> None:
    command = PlaceOrder(order_id="o-1")
    assert isinstance(command.id, UUID)
    assert command.lines == []
    with pytest.raises(AttributeError):
        command.order_id = "o-2"  # type: ignore[misc]
    with pytest.raises(InvalidMessageError):
        PlaceOrder(order_id=1)  # type: ignore[arg-type]
    assert PlaceOrder.from_dict(json.loads(json.dumps(command.to_dict()))) == command
    assert PlaceOrder(order_id="o", lines=[{"a": 1}]) != PlaceOrder(order_id="o", lines=[{"a": 1}])


def test_a_frozen_keyword_only_dataclass_event_behaves_identically() -> None:
    refund = RefundIssued(order_id="o-1", amount=Decimal("9.99"), actor_id="ada")
    with pytest.raises(dataclasses.FrozenInstanceError):
        refund.amount = Decimal(0)  # type: ignore[misc]
    assert RefundIssued.from_dict(json.loads(json.dumps(refund.to_dict()))) == refund
    assert event_types.resolve("RefundIssued") is RefundIssued


def test_event_without_declared_payload_accepts_free_keywords() -> None:
    event = Event(data={"x": 1}, source="test")
    assert event.data == {"x": 1}
    assert event.version == 0
    assert event.to_dict()["data"] == {"x": 1}
    assert Event.from_dict(event.to_dict()) == event
    with pytest.raises(InvalidMessageError, match="underscore"):
        Event(_secret=1)


def test_event_versions_and_aggregates_are_set_on_copies() -> None:
    event = Event(data=1)
    versioned = event.with_version(3).for_aggregate("order-1", "Order")
    assert (versioned.version, versioned.aggregate_id, versioned.aggregate_type) == (3, "order-1", "Order")
    assert event.version == 0
    assert event.aggregate_id is None
    assert versioned.event_id == event.event_id
    with pytest.raises(InvalidMessageError):
        event.with_version("3")  # type: ignore[arg-type]


def test_integration_events_name_their_source() -> None:
    class PaymentSettled(IntegrationEvent):
        payment_id: str

    settled = PaymentSettled(payment_id="p-1", source_service="billing")
    assert settled.source_service == "billing"
    assert settled.version == 0


def test_every_event_class_is_registered_by_name_and_the_last_definition_wins() -> None:
    class Renamed(DomainEvent):
        a: int

    assert event_types.resolve("Renamed") is Renamed

    class Renamed(DomainEvent):  # type: ignore[no-redef]
        b: int

    assert event_types.resolve("Renamed") is Renamed
    assert "OrderShipped" in event_types


def test_queries_are_generic_and_commands_are_not_events() -> None:
    class GetOrder(Query[dict[str, str]]):
        order_id: str

    query = GetOrder(order_id="o-1")
    assert query.order_id == "o-1"
    assert isinstance(query.id, UUID)
    assert "GetOrder" not in event_types


def test_post_init_can_validate_across_fields() -> None:
    class Transfer(Command):
        source: str
        target: str

        def __post_init__(self) -> None:
            if self.source == self.target:
                raise InvalidMessageError("Transfer: source and target must differ")

    with pytest.raises(InvalidMessageError, match="must differ"):
        Transfer(source="a", target="a")
    assert Transfer(source="a", target="b").target == "b"


def test_string_annotations_are_resolved_when_the_class_is_first_used() -> None:
    class Later(DomainEvent):
        when: datetime
        amount: Decimal

    stamp = datetime(2024, 1, 1, tzinfo=UTC)
    restored = Later.from_dict(json.loads(json.dumps(Later(when=stamp, amount=Decimal("1.5")).to_dict())))
    assert restored.when == stamp
    assert restored.amount == Decimal("1.5")


def test_field_names_never_collide_with_generated_code() -> None:
    class Awkward(DomainEvent):
        self: str
        _type: int
        data: dict[str, int]
        args: list[str] = []

    awkward = Awkward(self="me", _type=1, data={"a": 1})
    assert (awkward.self, awkward._type, awkward.data, awkward.args) == ("me", 1, {"a": 1}, [])
    assert Awkward.from_dict(json.loads(json.dumps(awkward.to_dict()))) == awkward
    with pytest.raises(InvalidMessageError, match="'_type'"):
        Awkward(self="me", _type="x", data={})  # type: ignore[arg-type]
