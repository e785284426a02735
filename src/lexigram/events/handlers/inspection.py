"""Reading what a handler handles: its kind (command, query or event) and its message types.

The kind comes from, in order: the handler decorator, a handler base class in the MRO
(``CommandHandlerProtocol[C, R]``, ``QueryHandlerProtocol[Q, R]``, ``EventHandlerProtocol[E]``,
``MultiEventHandlerProtocol``), and finally the message's own base class (``Command``, ``Query`` or
``DomainEvent``). The message types come from the decorator, the base class's type arguments, or
the annotation of ``handle``'s message parameter.
"""

from __future__ import annotations

import inspect
import types
import typing
from dataclasses import dataclass
from typing import Any, Literal

from lexigram.contracts.events import (
    CommandHandlerProtocol,
    EventHandlerProtocol,
    MultiEventHandlerProtocol,
    QueryHandlerProtocol,
)
from lexigram.contracts.messages import Command, DomainEvent, Query
from lexigram.events.decorators import declared_handler_info, get_handler_info, message_types_of
from lexigram.events.types import HandlerInfo

__all__ = ["HandlerKind", "HandlerSpec", "discoverable_spec", "handler_spec"]

HandlerKind = Literal["command", "query", "event"]

_BASE_KINDS: dict[type, HandlerKind] = {
    CommandHandlerProtocol: "command",
    QueryHandlerProtocol: "query",
    EventHandlerProtocol: "event",
    MultiEventHandlerProtocol: "event",
}
_MESSAGE_KINDS: tuple[tuple[type, HandlerKind], ...] = (
    (Command, "command"),
    (Query, "query"),
    (DomainEvent, "event"),
)


@dataclass(frozen=True, slots=True)
class HandlerSpec:
    """A handler with the bus it belongs on and the message types it handles."""

    kind: HandlerKind
    message_types: tuple[type, ...]
    handler: Any


def _describe(handler: Any) -> str:
    return getattr(handler, "__qualname__", None) or repr(handler)


def _decorator_info(handler: Any) -> HandlerInfo | None:
    return declared_handler_info(handler) or get_handler_info(handler)


def _base_class(handler: Any) -> type | None:
    """The handler base class in ``handler``'s MRO (classes only), or None."""
    if not isinstance(handler, type):
        return None
    return next((base for base in handler.__mro__ if base in _BASE_KINDS), None)


def _type_argument(cls: type, base: type) -> Any:
    """The first type argument ``cls`` gives ``base``, following generic intermediate classes."""

    def search(klass: type, substitutions: dict[Any, Any]) -> Any:
        for original in vars(klass).get("__orig_bases__", klass.__bases__):
            origin = typing.get_origin(original) or original
            args = [substitutions.get(arg, arg) for arg in typing.get_args(original)]
            if origin is base:
                return args[0] if args else None
            if isinstance(origin, type) and base in origin.__mro__:
                parameters = getattr(origin, "__parameters__", ())
                found = search(origin, dict(zip(parameters, args, strict=False)))
                if found is not None:
                    return found
        return None

    return search(cls, {})


def _message_classes(argument: Any) -> tuple[type, ...]:
    """The classes a type argument names (each member of a union); empty for a TypeVar or None."""
    is_union = typing.get_origin(argument) in (typing.Union, types.UnionType)
    members = typing.get_args(argument) if is_union else (argument,)
    if all(isinstance(member, type) for member in members):
        return tuple(members)
    return ()


def _kind_of_messages(handler: Any, message_types: tuple[type, ...]) -> HandlerKind:
    kinds = set()
    for message_type in message_types:
        kind = next((k for base, k in _MESSAGE_KINDS if issubclass(message_type, base)), None)
        if kind is None:
            raise TypeError(
                f"cannot tell which bus handler {_describe(handler)} belongs on: {message_type.__qualname__} "
                "is not a Command, Query or DomainEvent; decorate the handler with @command_handler, "
                "@query_handler or @event_handler"
            )
        kinds.add(kind)
    if len(kinds) > 1:
        raise TypeError(
            f"handler {_describe(handler)} mixes commands, queries and events "
            f"({', '.join(t.__qualname__ for t in message_types)}); give each kind its own handler"
        )
    return kinds.pop()


def handler_spec(handler: Any) -> HandlerSpec:
    """Work out the kind and message types of a handler; ``TypeError`` when they cannot be read."""
    info = _decorator_info(handler)
    if info is not None:
        kind = typing.cast(HandlerKind, info.handler_type)
        return HandlerSpec(kind, tuple(info.message_types), handler)
    base = _base_class(handler)
    argument = _type_argument(handler, base) if base is not None and isinstance(handler, type) else None
    message_types = _message_classes(argument) or tuple(message_types_of(handler))
    kind = _BASE_KINDS[base] if base is not None else _kind_of_messages(handler, message_types)
    return HandlerSpec(kind, message_types, handler)


def discoverable_spec(candidate: Any, module_name: str) -> HandlerSpec | None:
    """The spec of ``candidate`` if discovery should pick it up from module ``module_name``.

    That is a decorated object, or a concrete subclass of a handler base class, defined in that
    module (imported names are left to their own module). Generic intermediate bases are skipped.
    """
    if getattr(candidate, "__module__", None) != module_name:
        return None
    if _decorator_info(candidate) is not None:
        return handler_spec(candidate)
    if not isinstance(candidate, type) or _base_class(candidate) is None:
        return None
    if (
        getattr(candidate, "_is_protocol", False)
        or getattr(candidate, "__parameters__", ())
        or inspect.isabstract(candidate)
    ):
        return None
    return handler_spec(candidate)
