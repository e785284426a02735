"""``ValueObject``: an immutable domain value compared by its fields."""

from __future__ import annotations

import dataclasses
from typing import Any

from typing_extensions import dataclass_transform

from lexigram.events.aggregates.fields import Field

__all__ = ["ValueObject"]


@dataclass_transform(frozen_default=True, field_specifiers=(Field, dataclasses.field, dataclasses.Field))
class ValueObject:
    """An immutable value defined by its fields: equal fields mean equal values.

    Each subclass becomes a frozen dataclass, so it gets keyword and positional construction,
    value equality, hashing and a readable ``repr``; assigning an attribute raises
    ``dataclasses.FrozenInstanceError``::

        class Money(ValueObject):
            amount: Decimal
            currency: str = "EUR"

        assert Money(Decimal("1.50")) == Money(amount=Decimal("1.50"), currency="EUR")

    Derive a changed value with ``dataclasses.replace(money, amount=...)``.
    """

    __slots__ = ()

    def __init_subclass__(cls, **kwargs: Any) -> None:
        super().__init_subclass__(**kwargs)
        dataclasses.dataclass(frozen=True)(cls)
