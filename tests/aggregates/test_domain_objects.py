"""Entities, value objects, ``Field`` and the handler naming convention."""

from __future__ import annotations

import dataclasses
from decimal import Decimal
from uuid import UUID

import pytest

from lexigram.contracts.domain import DomainEvent
from lexigram.events import Entity, Field, ValueObject
from lexigram.events.aggregates.naming import handler_names, snake_case


class OrderLine(Entity):
    sku: str = ""
    quantity: int = 1


class Money(ValueObject):
    amount: Decimal
    currency: str = "EUR"


class Tagged(DomainEvent):
    tags: list[str] = Field(default_factory=list)


def test_entities_are_equal_by_class_and_identity() -> None:
    line = OrderLine(sku="A")
    assert isinstance(line.id, UUID)
    same = OrderLine(line.id, sku="B")
    assert same == line
    assert hash(same) == hash(line)
    assert OrderLine(sku="A") != line
    line.quantity = 3  # entities are mutable
    assert line.quantity == 3


def test_value_objects_are_immutable_values() -> None:
    price = Money(Decimal("1.50"))
    assert price == Money(amount=Decimal("1.50"), currency="EUR")
    assert price != Money(Decimal("1.50"), "USD")
    assert len({price, Money(Decimal("1.50"))}) == 1
    with pytest.raises(dataclasses.FrozenInstanceError):
        price.amount = Decimal("2")  # type: ignore[misc]
    assert dataclasses.replace(price, amount=Decimal("2")).amount == Decimal("2")


def test_field_works_on_message_classes_too() -> None:
    first, second = Tagged(), Tagged()
    first.tags.append("x")
    assert second.tags == []
    assert Tagged(tags=["a"]).tags == ["a"]


def test_field_takes_a_default_or_a_factory() -> None:
    with pytest.raises(ValueError, match="either default or default_factory"):
        Field(default=1, default_factory=int)  # type: ignore[call-overload]
    with pytest.raises(TypeError, match="callable"):
        Field(default_factory=3)  # type: ignore[call-overload]


@pytest.mark.parametrize(
    ("class_name", "expected"),
    [
        ("ItemAddedEvent", ("_handle_item_added", "_handle_item_added_event")),
        ("ItemAdded", ("_handle_item_added",)),
        ("HTTPRequestSent", ("_handle_http_request_sent",)),
        ("OrderV2Created", ("_handle_order_v2_created",)),
        ("Event", ("_handle_event",)),
    ],
)
def test_handler_names(class_name: str, expected: tuple[str, ...]) -> None:
    assert handler_names(class_name) == expected


def test_snake_case_splits_acronyms() -> None:
    assert snake_case("IOErrorRaised") == "io_error_raised"
