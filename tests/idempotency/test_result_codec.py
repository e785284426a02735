"""What an idempotent handler may return: it comes back equal for later callers, or is refused clearly."""

from __future__ import annotations

import enum
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from decimal import Decimal
from uuid import uuid4

import pytest

from lexigram.contracts.core.result import Ok
from lexigram.events import Command, DomainEvent
from lexigram.events.exceptions import IdempotencyResultError
from lexigram.events.idempotency import decode_result, encode_result
from lexigram.events.types import CommandResult


class Tier(enum.Enum):
    GOLD = "gold"


class Charged(DomainEvent):
    order_id: str
    amount: Decimal


class Refund(Command):
    order_id: str


@dataclass(frozen=True)
class Receipt:
    receipt_id: str
    lines: list[str] = field(default_factory=list)
    issued: date = date(2024, 1, 1)


@dataclass
class Wrapper:
    receipt: Receipt


class NoEquality:
    pass


VALUES = [
    None,
    True,
    0,
    -3.5,
    "text ✓",
    [1, "two", None],
    {"a": 1, "nested": {"b": [True]}},
    {"$tuple": "a user key that looks like a tag", "other": 1},
    (1, "x", (2, 3)),
    uuid4(),
    datetime(2024, 5, 1, 12, 0, tzinfo=UTC),
    date(2024, 5, 1),
    Decimal("10.25"),
    Tier.GOLD,
    Ok({"id": 3}),
    Receipt("r-1", ["coffee"]),
    Wrapper(Receipt("r-2")),
    CommandResult.ok(Receipt("r-3"), command_id=uuid4()),
    Charged(order_id="o-1", amount=Decimal("9.99")),
    Refund(order_id="o-1"),
]


@pytest.mark.parametrize("value", VALUES, ids=[type(v).__name__ for v in VALUES])
def test_a_recordable_result_comes_back_equal_and_of_the_same_type(value: object) -> None:
    back = decode_result(encode_result(value))
    assert back == value
    assert type(back) is type(value)


@pytest.mark.parametrize(
    ("value", "named"),
    [
        (NoEquality(), "NoEquality"),
        ({1, 2}, "set"),
        (float("nan"), "nan"),
        ({1: "int key"}, "key"),
        (lambda: None, "function"),
        (Receipt(lines=[object()], receipt_id="r"), "object"),  # type: ignore[list-item]
    ],
)
def test_what_cannot_come_back_is_refused_with_the_reason(value: object, named: str) -> None:
    with pytest.raises(IdempotencyResultError, match=named) as caught:
        encode_result(value)
    assert isinstance(caught.value, TypeError)


def test_a_damaged_record_is_reported_not_guessed() -> None:
    with pytest.raises(IdempotencyResultError, match="cannot be read"):
        decode_result("{not json")
    with pytest.raises(IdempotencyResultError, match="os:system"):
        decode_result('{"$dataclass": ["os:system", {}]}')
