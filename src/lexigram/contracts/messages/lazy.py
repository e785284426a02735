"""Fields kept as their stored text until first read.

Reading an event back from a store would otherwise parse its ``event_id`` (a UUID) and
``occurred_at`` (a datetime) every time, although folds and projections rarely look at them. A
lazy field keeps the stored text in the instance and converts it once, on first access; equality,
hashing and ``to_dict`` treat the text and the converted value alike.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable
from typing import Any

__all__ = ["StoredText", "install_lazy_fields", "materialize"]


class StoredText:
    """A data descriptor: returns the field's value, converting stored text on first access."""

    __slots__ = ("convert", "name")

    def __init__(self, name: str, convert: Callable[[str], Any]) -> None:
        self.name = name
        self.convert = convert

    def __get__(self, instance: Any, owner: type | None = None) -> Any:
        if instance is None:
            return self
        state = instance.__dict__
        try:
            value = state[self.name]
        except KeyError:
            raise AttributeError(self.name) from None
        if type(value) is str:
            value = self.convert(value)
            state[self.name] = value
        return value

    def __set__(self, instance: Any, value: Any) -> None:
        raise dataclasses.FrozenInstanceError(
            f"{type(instance).__qualname__} is immutable: cannot assign to '{self.name}'"
        )

    def __delete__(self, instance: Any) -> None:
        raise dataclasses.FrozenInstanceError(
            f"{type(instance).__qualname__} is immutable: cannot delete '{self.name}'"
        )


def install_lazy_fields(cls: type, converters: dict[str, Callable[[str], Any]]) -> None:
    """Make the named fields of ``cls`` (and its subclasses) lazy, converted by ``converters``."""
    for name, convert in converters.items():
        type.__setattr__(cls, name, StoredText(name, convert))
    type.__setattr__(cls, "__lazy_fields__", {**getattr(cls, "__lazy_fields__", {}), **converters})


def materialize(instance: Any) -> None:
    """Convert every lazy field of ``instance`` that still holds its stored text."""
    state = instance.__dict__
    for name, convert in type(instance).__lazy_fields__.items():
        value = state.get(name)
        if type(value) is str:
            state[name] = convert(value)
