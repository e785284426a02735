"""Declared fields of entities and aggregates, and ``Field``, their default specifier.

An annotated class attribute with a default becomes a per-instance field::

    class Order(AggregateRoot):
        status: str = "draft"
        items: list[OrderItem] = Field(default_factory=list)

Each instance gets its own value: ``default_factory`` is called once per instance, and a plain
``list``, ``dict`` or ``set`` default is deep-copied. ``Field`` returns a ``dataclasses.Field``, so
it works on message classes and on dataclasses too.
"""

from __future__ import annotations

import copy
import dataclasses
import inspect
import typing
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, TypeVar, overload

__all__ = ["DeclaredField", "Field", "collect_declared_fields"]

T = TypeVar("T")

_NO_DEFAULT: Any = dataclasses.MISSING


class _Unset:
    __slots__ = ()

    def __repr__(self) -> str:
        return "UNSET"


_UNSET: Any = _Unset()
"""A declared field without a default (``dataclasses.MISSING`` cannot be a dataclass default)."""
_RESERVED = frozenset({"id"})
"""Names the base classes manage themselves; they are never declared fields."""


@overload
def Field(*, default: T) -> T: ...


@overload
def Field(*, default_factory: Callable[[], T]) -> T: ...


def Field(*, default: Any = _NO_DEFAULT, default_factory: Any = _NO_DEFAULT) -> Any:
    """Declare a field's default: a value, or a factory called once per instance.

    ``items: list[str] = Field(default_factory=list)`` gives every instance its own list. The return
    value is a ``dataclasses.Field``, understood by aggregates, entities, value objects, message
    classes and dataclasses alike.
    """
    if default is not _NO_DEFAULT and default_factory is not _NO_DEFAULT:
        raise ValueError("Field() takes either default or default_factory, not both")
    if default_factory is not _NO_DEFAULT and not callable(default_factory):
        raise TypeError(f"Field(default_factory=...) must be callable, got {default_factory!r}")
    return dataclasses.field(default=default, default_factory=default_factory)


@dataclass(frozen=True, slots=True)
class DeclaredField:
    """One annotated class attribute of an entity or aggregate."""

    name: str
    default: Any = _UNSET
    factory: Callable[[], Any] | None = None

    @property
    def has_default(self) -> bool:
        """True when instances get a value without the caller passing one."""
        return self.factory is not None or self.default is not _UNSET

    def initial_value(self) -> Any:
        """The value a new instance starts with."""
        if self.factory is not None:
            return self.factory()
        return self.default


def _is_classvar(annotation: Any) -> bool:
    if isinstance(annotation, str):
        return annotation.startswith(("ClassVar", "typing.ClassVar", "t.ClassVar"))
    return annotation is typing.ClassVar or typing.get_origin(annotation) is typing.ClassVar


def _deep_copier(value: Any) -> Callable[[], Any]:
    def copy_default() -> Any:
        return copy.deepcopy(value)

    return copy_default


def _own_fields(cls: type) -> dict[str, DeclaredField]:
    """Read the annotated attributes that ``cls`` itself declares, and tidy its namespace."""
    own: dict[str, DeclaredField] = {}
    slots = cls.__dict__.get("__slots__", ())
    if isinstance(slots, str):
        slots = (slots,)
    for name, annotation in inspect.get_annotations(cls).items():
        if name.startswith("__") or name in _RESERVED or name in slots or _is_classvar(annotation):
            continue
        raw = cls.__dict__.get(name, _NO_DEFAULT)
        if isinstance(raw, dataclasses.Field):
            factory = None if raw.default_factory is dataclasses.MISSING else raw.default_factory
            own[name] = DeclaredField(name, _UNSET if raw.default is _NO_DEFAULT else raw.default, factory)
            if raw.default is _NO_DEFAULT:
                delattr(cls, name)  # no class-level Field object left behind
            else:
                setattr(cls, name, raw.default)
        elif isinstance(raw, (list, dict, set)):
            own[name] = DeclaredField(name, factory=_deep_copier(raw))
        else:
            own[name] = DeclaredField(name, _UNSET if raw is _NO_DEFAULT else raw)
    return own


def collect_declared_fields(cls: type) -> dict[str, DeclaredField]:
    """Return every declared field of ``cls``, inherited ones first, and record its own ones."""
    own = _own_fields(cls)
    type.__setattr__(cls, "__own_declared_fields__", own)
    merged: dict[str, DeclaredField] = {}
    for klass in reversed(cls.__mro__):
        merged.update(klass.__dict__.get("__own_declared_fields__", {}))
    return merged
