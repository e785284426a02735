"""``Entity``: a mutable domain object with an identity, living inside an aggregate."""

from __future__ import annotations

from typing import Any, ClassVar

from lexigram.contracts.messages.ids import new_uuid
from lexigram.events.aggregates.fields import DeclaredField, collect_declared_fields

__all__ = ["Entity"]

_UNSET: Any = object()


class Entity:
    """A domain object with an identity: two entities are equal when their class and ``id`` are.

    Entities are mutable and belong to an aggregate root; they have no event stream of their own.
    Annotated class attributes with defaults are per-instance fields, settable by keyword::

        class OrderLine(Entity):
            sku: str = ""
            quantity: int = 1

        line = OrderLine(sku="A-1")          # id is a fresh UUID
        same = OrderLine(line.id, sku="B")   # equal to ``line``: same identity

    ``id`` may be any ``str`` or ``UUID`` (a fresh ``uuid4`` when omitted). An unknown keyword raises
    ``TypeError`` naming the class and the declared fields.
    """

    __declared_fields__: ClassVar[dict[str, DeclaredField]] = {}
    __field_initializers__: ClassVar[tuple[DeclaredField, ...]] = ()

    id: Any

    def __init_subclass__(cls, **kwargs: Any) -> None:
        super().__init_subclass__(**kwargs)
        fields = collect_declared_fields(cls)
        cls.__declared_fields__ = fields
        cls.__field_initializers__ = tuple(f for f in fields.values() if f.has_default)

    def __init__(self, id: Any = None, **fields: Any) -> None:
        # Attributes are set one by one, never through ``self.__dict__``: on CPython, touching
        # ``__dict__`` turns the instance's compact attribute storage into a plain dict for good,
        # which makes every later attribute access (event handlers, replay) markedly slower.
        self.id = new_uuid() if id is None else id
        cls = type(self)
        for declared in cls.__field_initializers__:
            name = declared.name
            if getattr(self, name, _UNSET) is getattr(cls, name, _UNSET):  # not set by a subclass yet
                setattr(self, name, declared.initial_value())
        if fields:
            self._set_declared_fields(fields)

    def _set_declared_fields(self, values: dict[str, Any]) -> None:
        declared = type(self).__declared_fields__
        unknown = [name for name in values if name not in declared]
        if unknown:
            known = ", ".join(declared) or "none"
            raise TypeError(
                f"{type(self).__qualname__}() got unknown field(s) {', '.join(map(repr, unknown))}; "
                f"its declared fields are: {known}"
            )
        for name, value in values.items():
            setattr(self, name, value)

    def __eq__(self, other: object) -> bool:
        if type(other) is not type(self):
            return NotImplemented
        return bool(self.id == getattr(other, "id", _UNSET))

    def __hash__(self) -> int:
        return hash((type(self), self.id))

    def __repr__(self) -> str:
        return f"{type(self).__qualname__}(id={self.id!r})"
