"""The machinery behind every message class: declared fields, validation, immutability, JSON.

A message class declares its payload as annotations::

    class OrderShipped(DomainEvent):
        order_id: str
        tracking_number: str | None = None

``MessageMeta`` collects those fields when the class is defined. On first use it generates, for that
class alone, an ``__init__`` that checks each value against its annotation, plus ``to_dict`` and a
loader for stored data. Instances are immutable: assigning any attribute raises
``dataclasses.FrozenInstanceError``. Decorating a message class with ``@dataclass`` (frozen or not)
changes nothing: the generated methods stay in place.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable
from typing import Any, ClassVar, Self

from typing_extensions import dataclass_transform

from lexigram.contracts.exceptions import InvalidMessageError
from lexigram.contracts.messages.codegen import checked_changes, compile_message, init_stubs
from lexigram.contracts.messages.errors import invalid_field
from lexigram.contracts.messages.fields import MISSING, FieldSpec, is_classvar
from lexigram.contracts.messages.lazy import materialize

__all__ = ["MISSING", "FieldSpec", "MessageMeta", "MessageModel", "message_fields", "payload_fields"]


def _collect_fields(
    bases: tuple[type, ...], namespace: dict[str, Any]
) -> tuple[dict[str, FieldSpec], list[tuple[str, Any, Any]]]:
    fields: dict[str, FieldSpec] = {}
    for base in reversed(bases):
        for klass in reversed(base.__mro__):
            inherited = klass.__dict__.get("__message_fields__")
            if inherited:
                fields.update(inherited)
    own: list[tuple[str, Any, Any]] = []
    for name, annotation in namespace.get("__annotations__", {}).items():
        if is_classvar(annotation) or name.startswith("__"):
            continue
        own.append((name, annotation, namespace.get(name, MISSING)))
    return fields, own


@dataclass_transform(
    kw_only_default=True,
    frozen_default=True,
    field_specifiers=(dataclasses.field, dataclasses.Field),
)
class MessageMeta(type):
    """Metaclass of message classes: records declared fields and installs generated methods."""

    __message_fields__: dict[str, FieldSpec]
    __payload_fields__: tuple[str, ...]
    __free_form__: bool

    def __new__(
        mcls, name: str, bases: tuple[type, ...], namespace: dict[str, Any], **kwargs: Any
    ) -> MessageMeta:
        holder: list[MessageMeta] = []
        fields, own = _collect_fields(bases, namespace)
        is_base = bool(namespace.pop("__lexigram_base__", False))
        own_specs: list[tuple[str, Any, Any, Callable[[], Any] | None]] = []
        for field_name, annotation, raw_default in own:
            default, factory = raw_default, None
            if isinstance(raw_default, dataclasses.Field):
                default = raw_default.default
                factory = (
                    None
                    if raw_default.default_factory is dataclasses.MISSING
                    else raw_default.default_factory
                )
                if default is dataclasses.MISSING:
                    default = MISSING
                namespace.pop(field_name, None)
            elif isinstance(raw_default, (list, dict, set)):
                factory, default = _copier(raw_default), MISSING
            own_specs.append((field_name, annotation, default, factory))
            if field_name not in namespace:
                # An inherited attribute of that name (a property, say) must not hide the field.
                for base in bases:
                    if hasattr(base, field_name) and field_name not in fields:
                        namespace[field_name] = None
                        break
        _install_stubs(namespace, holder)
        cls = super().__new__(mcls, name, bases, namespace, **kwargs)
        holder.append(cls)
        for field_name, annotation, default, factory in own_specs:
            previous = fields.pop(field_name, None)
            stays_base = is_base or (previous is not None and previous.base)  # a base field stays one
            fields[field_name] = FieldSpec(field_name, annotation, cls, default, factory, stays_base)
        ordered = {n: s for n, s in fields.items() if s.base}
        ordered.update({n: s for n, s in fields.items() if not s.base})
        cls.__message_fields__ = ordered
        cls.__payload_fields__ = tuple(n for n, s in ordered.items() if not s.base)
        cls.__free_form__ = not cls.__payload_fields__
        type.__setattr__(cls, "__match_args__", cls.__payload_fields__)
        return cls


def _copier(value: Any) -> Callable[[], Any]:
    kind = type(value)

    def copy_default() -> Any:
        return kind(value)

    return copy_default


# --- generated methods ----------------------------------------------------------------------------


def _install_stubs(namespace: dict[str, Any], holder: list[MessageMeta]) -> None:
    """Put placeholders in the class namespace that compile the class on first use."""

    if "__init__" not in namespace:

        def __init__(__lx_self: Any, /, *args: Any, **kwargs: Any) -> None:
            compile_message(holder[0]).init(__lx_self, *args, **kwargs)

        init_stubs.add(__init__)
        namespace["__init__"] = __init__
    if "__eq__" not in namespace:
        namespace["__eq__"] = _message_eq
    if "__hash__" not in namespace:
        namespace["__hash__"] = _message_hash
    if "__repr__" not in namespace:
        namespace["__repr__"] = _message_repr


def _message_eq(self: Any, other: Any) -> object:
    if other.__class__ is not self.__class__:
        return NotImplemented
    if self.__lazy_fields__:
        materialize(self)
        materialize(other)
    return bool(self.__dict__ == other.__dict__)


def _message_hash(self: Any) -> int:
    identity = type(self).__dict__.get("__identity_field__") or getattr(self, "__identity_field__", None)
    if identity:
        return hash((type(self), getattr(self, identity, None)))
    return hash((type(self), tuple(_hashable(v) for v in self.__dict__.values())))


def _hashable(value: Any) -> Any:
    try:
        hash(value)
    except TypeError:
        return repr(value)
    return value


def _message_repr(self: Any) -> str:
    cls = type(self)
    shown = list(cls.__payload_fields__)
    shown += [n for n in self.__dict__ if n not in cls.__message_fields__]
    identity = getattr(cls, "__identity_field__", None)
    if identity:
        shown.append(identity)
    body = ", ".join(f"{n}={getattr(self, n, None)!r}" for n in shown)
    return f"{cls.__qualname__}({body})"


# --- the base class -------------------------------------------------------------------------------


class MessageModel(metaclass=MessageMeta):
    """Base of every message class: immutable, validated, convertible to and from JSON-safe dicts."""

    __message_fields__: ClassVar[dict[str, FieldSpec]]
    __payload_fields__: ClassVar[tuple[str, ...]]
    __free_form__: ClassVar[bool]
    __identity_field__: ClassVar[str | None] = None
    __lazy_fields__: ClassVar[dict[str, Callable[[str], Any]]] = {}

    def __setattr__(self, name: str, value: Any) -> None:
        raise dataclasses.FrozenInstanceError(
            f"{type(self).__qualname__} is immutable: cannot assign to '{name}'; build a new message instead"
        )

    def __delattr__(self, name: str) -> None:
        raise dataclasses.FrozenInstanceError(
            f"{type(self).__qualname__} is immutable: cannot delete '{name}'"
        )

    def to_dict(self) -> dict[str, Any]:
        """Return a JSON-safe dict: base fields and payload fields as top-level keys."""
        return compile_message(type(self)).dump(self)

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> Self:
        """Build an instance from ``to_dict()`` output, converting values back by annotation.

        Keys that are not fields of the class are ignored, unless the class declares no payload
        fields, in which case they become its payload.
        """
        if not isinstance(data, dict):
            raise InvalidMessageError(
                f"{cls.__qualname__}.from_dict() expects a dict, got {type(data).__name__}"
            )
        compiled = compile_message(cls)
        arguments: dict[str, Any] = {}
        for name, value in data.items():
            rule = compiled.rules.get(name)
            if rule is None:
                if cls.__free_form__ and not name.startswith("_"):
                    arguments[name] = value
                continue
            if value is not None and rule.load is not None:
                try:
                    value = rule.load(value)
                except (TypeError, ValueError, ArithmeticError) as exc:
                    raise invalid_field(cls.__qualname__, name, rule.expected, value) from exc
            arguments[name] = value
        return cls(**arguments)

    @classmethod
    def _from_stored(cls, data: dict[str, Any]) -> Self:
        """Rebuild an instance from trusted stored data without re-validating it (fast path)."""
        loaded: Self = compile_message(cls).load(data)
        return loaded

    def _replace(self, **changes: Any) -> Self:
        """Return a copy with some fields replaced, without re-validation (framework use)."""
        copy: Self = object.__new__(type(self))
        state = copy.__dict__
        state.update(self.__dict__)
        state.update(changes)
        return copy

    def _validated_replace(self, **changes: Any) -> Self:
        """Return a copy with some fields replaced, checking the new values."""
        return self._replace(**checked_changes(type(self), changes))


def message_fields(cls: type) -> tuple[FieldSpec, ...]:
    """Return the declared fields of a message class, base fields first."""
    fields: dict[str, FieldSpec] | None = getattr(cls, "__message_fields__", None)
    if fields is None:
        raise TypeError(f"{cls!r} is not a message class")
    return tuple(fields.values())


def payload_fields(cls: type) -> tuple[str, ...]:
    """Return the names of the payload fields a message class declares, in declaration order."""
    names: tuple[str, ...] | None = getattr(cls, "__payload_fields__", None)
    if names is None:
        raise TypeError(f"{cls!r} is not a message class")
    return names
