"""``@command_handler``, ``@event_handler`` and ``@query_handler``, and the registry they fill.

Each decorator works bare, reading the message type from the annotation of the handler's message
parameter::

    @command_handler
    class SubmitOrderHandler:
        async def handle(self, command: SubmitOrder) -> None: ...

or called with the message type, on a function or a class::

    @event_handler(UserCreated, priority=10)
    async def send_welcome_email(event: UserCreated) -> None: ...

The decorated object is returned unchanged; a ``HandlerInfo`` is recorded in the global registry,
from which ``EventsModule`` wires handlers to an application's buses.
"""

from __future__ import annotations

import contextlib
import inspect
import threading
import types
import typing
from collections.abc import Callable
from dataclasses import replace
from typing import Any, Literal, TypeVar, overload

from lexigram.contracts.messages import MessageModel
from lexigram.events.idempotency.policy import DEFAULT_RESULT_TTL, IDEMPOTENT_MARKER, IdempotencyPolicy
from lexigram.events.types import HandlerInfo

__all__ = [
    "HandlerKind",
    "add_clear_listener",
    "clear_handler_registry",
    "command_handler",
    "declared_handler_info",
    "event_handler",
    "get_all_handlers",
    "get_handler_info",
    "handler_priority",
    "idempotent",
    "message_types_of",
    "query_handler",
]

HandlerKind = Literal["command", "event", "query"]
H = TypeVar("H")

_lock = threading.RLock()
_infos: dict[int, HandlerInfo] = {}
_order: list[int] = []
_clear_listeners: list[Callable[[], None]] = []
_MARKER = "__lexigram_handler_info__"


def get_handler_info(obj: Any) -> HandlerInfo | None:
    """Return the ``HandlerInfo`` a decorator recorded for ``obj``, or None when undecorated."""
    info = _infos.get(id(obj))
    if info is not None and info.handler is obj:
        return info
    return None


def get_all_handlers(handler_type: HandlerKind | None = None) -> list[HandlerInfo]:
    """List the decorated handlers in decoration order, optionally of one kind."""
    with _lock:
        infos = [_infos[key] for key in _order if key in _infos]
    if handler_type is None:
        return infos
    return [info for info in infos if info.handler_type == handler_type]


def clear_handler_registry() -> None:
    """Forget every decorated handler (for tests); ``HandlerRegistry`` listeners are told too."""
    with _lock:
        _infos.clear()
        _order.clear()
        listeners = list(_clear_listeners)
    for listener in listeners:
        listener()


def add_clear_listener(listener: Callable[[], None]) -> None:
    """Call ``listener`` whenever ``clear_handler_registry()`` runs."""
    with _lock:
        _clear_listeners.append(listener)


def handler_priority(handler: Any) -> int:
    """Return the ``priority`` a handler was decorated with (0 when none)."""
    owner = getattr(handler, "__self__", None)
    candidates = (
        handler,
        type(handler),
        getattr(handler, "__func__", None),
        None if owner is None else type(owner),
    )
    for candidate in candidates:
        if candidate is None:
            continue
        info = get_handler_info(candidate) or declared_handler_info(candidate)
        if info is not None:
            return int(info.metadata.get("priority", 0) or 0)
    return 0


def _callable_of(handler: Any) -> Callable[..., Any]:
    """The function whose parameters describe the handler: ``handle`` for classes."""
    if isinstance(handler, type):
        handle = getattr(handler, "handle", None)
        if handle is None or not callable(handle):
            raise TypeError(f"handler class {handler.__qualname__} needs a 'handle(self, message)' method")
        return typing.cast(Callable[..., Any], handle)
    handle = getattr(handler, "handle", None)
    if handle is not None and callable(handle) and not inspect.isfunction(handler):
        return typing.cast(Callable[..., Any], handle)
    if not callable(handler):
        raise TypeError(f"{handler!r} is not callable and has no 'handle' method")
    return typing.cast(Callable[..., Any], handler)


def _describe(handler: Any) -> str:
    return getattr(handler, "__qualname__", None) or type(handler).__qualname__


def message_types_of(handler: Any) -> list[type]:
    """Read the message types from the annotation of a handler's message parameter.

    A union annotation (``A | B``) gives each member; string annotations are resolved against the
    handler's module. Raises ``TypeError`` naming the handler when there is no usable annotation.
    """
    function = _callable_of(handler)
    try:
        parameters = list(inspect.signature(function).parameters.values())
    except (TypeError, ValueError) as exc:
        raise TypeError(f"cannot read the signature of handler {_describe(handler)}") from exc
    if isinstance(handler, type) and parameters and parameters[0].name in ("self", "cls"):
        parameters = parameters[1:]
    positional = [p for p in parameters if p.kind in (p.POSITIONAL_ONLY, p.POSITIONAL_OR_KEYWORD)]
    if not positional:
        raise TypeError(f"handler {_describe(handler)} takes no message parameter")
    parameter = positional[0]
    target = getattr(function, "__func__", function)
    try:
        hints = typing.get_type_hints(target)
    except Exception as exc:
        raise TypeError(
            f"cannot resolve the annotation of '{parameter.name}' in handler {_describe(handler)}: "
            f"{exc}; import the message class in the handler's module or pass it explicitly"
        ) from exc
    annotation = hints.get(parameter.name)
    if annotation is None:
        raise TypeError(
            f"handler {_describe(handler)} has no type annotation on its message parameter "
            f"'{parameter.name}'; annotate it with the message class or pass the type to the decorator"
        )
    if typing.get_origin(annotation) in (typing.Union, types.UnionType):
        members = [m for m in typing.get_args(annotation) if m is not type(None)]
    else:
        members = [annotation]
    for member in members:
        if not isinstance(member, type):
            raise TypeError(
                f"handler {_describe(handler)}: the annotation {member!r} of '{parameter.name}' "
                "is not a message class"
            )
    return members


def _is_handler_class(candidate: Any) -> bool:
    return isinstance(candidate, type) and callable(getattr(candidate, "handle", None))


def _is_async(handler: Any) -> bool:
    return inspect.iscoroutinefunction(_callable_of(handler))


def declared_handler_info(obj: Any) -> HandlerInfo | None:
    """Return the ``HandlerInfo`` a decorator attached to ``obj`` itself, or None.

    Unlike ``get_handler_info`` this survives ``clear_handler_registry()``: handler discovery uses
    it to recognise decorated objects in modules that were imported before the registry was
    cleared. A subclass of a decorated class is not itself decorated.
    """
    marker = vars(obj).get(_MARKER) if isinstance(obj, type) else getattr(obj, _MARKER, None)
    if isinstance(marker, HandlerInfo) and marker.handler is obj:
        return marker
    return None


def _mark(handler: Any, info: HandlerInfo) -> None:
    """Attach ``info`` to the handler object (objects that take no attributes are skipped)."""
    with contextlib.suppress(AttributeError, TypeError):
        setattr(handler, _MARKER, info)


def _record(
    kind: HandlerKind, handler: Any, message_types: list[type], name: str | None, metadata: dict[str, Any]
) -> None:
    with _lock:
        existing = get_handler_info(handler)
        if existing is not None and existing.handler_type == kind:
            merged = list(existing.message_types)
            merged.extend(t for t in message_types if t not in merged)
            info = replace(existing, message_types=merged, metadata={**existing.metadata, **metadata})
        else:
            info = HandlerInfo(
                handler_type=kind,
                message_types=list(message_types),
                handler=handler,
                name=name or _describe(handler),
                module=getattr(handler, "__module__", "") or "",
                is_async=_is_async(handler),
                metadata=dict(metadata),
            )
        _infos[id(handler)] = info
        if id(handler) not in _order:
            _order.append(id(handler))
    _mark(handler, info)


def _decorate(
    kind: HandlerKind,
    target: Any,
    name: str | None,
    metadata: dict[str, Any],
) -> Any:
    """Apply a handler decorator in whichever form it was used."""
    if target is None:
        raise TypeError(f"@{kind}_handler needs a message type or a handler")
    bare = (not isinstance(target, type) and callable(target)) or _is_handler_class(target)
    if bare:
        _record(kind, target, message_types_of(target), name, metadata)
        return target
    if not isinstance(target, type):
        raise TypeError(f"@{kind}_handler expects a message class, got {target!r}")
    message_type = target

    def decorator(handler: Any) -> Any:
        if not callable(handler):
            raise TypeError(f"@{kind}_handler({message_type.__name__}) must decorate a function or class")
        if isinstance(handler, type):
            _callable_of(handler)
        _record(kind, handler, [message_type], name, metadata)
        return handler

    return decorator


@overload
def command_handler(
    command_type: type[MessageModel],
    /,
    *,
    name: str | None = None,
    idempotent: bool = False,
    idempotency_ttl: float | None = None,
    **metadata: Any,
) -> Callable[[H], H]: ...
@overload
def command_handler(command_type: H, /) -> H: ...
def command_handler(
    command_type: Any,
    /,
    *,
    name: str | None = None,
    idempotent: bool = False,
    idempotency_ttl: float | None = None,
    **metadata: Any,
) -> Any:
    """Register a command handler: bare on a typed handler, or called with the command type.

    ``idempotent=True`` makes the bus run it once per ``idempotency_key`` (or command id) and hand
    the recorded result to later dispatches, for ``idempotency_ttl`` seconds (default: a day).
    """
    if not isinstance(idempotent, bool):
        raise TypeError(f"@command_handler idempotent must be True or False, got {idempotent!r}")
    if idempotency_ttl is not None:
        if not idempotent:
            raise TypeError("@command_handler idempotency_ttl needs idempotent=True")
        _checked_ttl(idempotency_ttl, "@command_handler idempotency_ttl")
    if idempotent:
        metadata = {**metadata, "idempotent": True, "idempotency_ttl": idempotency_ttl}
    return _decorate("command", command_type, name, metadata)


def _checked_ttl(ttl: Any, where: str) -> float:
    if isinstance(ttl, bool) or not isinstance(ttl, (int, float)) or not 0 < ttl < float("inf"):
        raise TypeError(f"{where} must be a positive number of seconds, got {ttl!r}")
    return float(ttl)


@overload
def idempotent(handler: H, /) -> H: ...
@overload
def idempotent(*, ttl: float = DEFAULT_RESULT_TTL) -> Callable[[H], H]: ...
def idempotent(handler: Any = None, /, *, ttl: float = DEFAULT_RESULT_TTL) -> Any:
    """Mark a command handler (function or class) as idempotent, bare or as ``@idempotent(ttl=...)``.

    The command bus then runs it at most once per command ``idempotency_key`` (or, without one,
    the command ``id``), records its result for ``ttl`` seconds and returns that result to every
    later dispatch with the key. It combines with ``@command_handler`` in either order.
    """
    policy = IdempotencyPolicy(ttl=_checked_ttl(ttl, "@idempotent ttl"))

    def mark(target: Any) -> Any:
        if not callable(target):
            raise TypeError(f"@idempotent must decorate a command handler function or class, got {target!r}")
        try:
            setattr(target, IDEMPOTENT_MARKER, policy)
        except (AttributeError, TypeError) as exc:
            raise TypeError(f"@idempotent cannot mark {target!r}: it takes no attributes") from exc
        return target

    return mark if handler is None else mark(handler)


@overload
def event_handler(
    event_type: type[MessageModel], /, *, name: str | None = None, priority: int = 0, **metadata: Any
) -> Callable[[H], H]: ...
@overload
def event_handler(event_type: H, /) -> H: ...
def event_handler(event_type: Any, /, *, name: str | None = None, priority: int = 0, **metadata: Any) -> Any:
    """Register an event handler; handlers with a higher ``priority`` run first."""
    if not isinstance(priority, int) or isinstance(priority, bool):
        raise TypeError(f"@event_handler priority must be an int, got {priority!r}")
    return _decorate("event", event_type, name, {"priority": priority, **metadata})


@overload
def query_handler(
    query_type: type[MessageModel],
    /,
    *,
    name: str | None = None,
    cacheable: bool = False,
    cache_ttl: int | None = None,
    **metadata: Any,
) -> Callable[[H], H]: ...
@overload
def query_handler(query_type: H, /) -> H: ...
def query_handler(
    query_type: Any,
    /,
    *,
    name: str | None = None,
    cacheable: bool = False,
    cache_ttl: int | None = None,
    **metadata: Any,
) -> Any:
    """Register a query handler; ``cacheable``/``cache_ttl`` are recorded in its metadata."""
    if cache_ttl is not None and (not isinstance(cache_ttl, int) or cache_ttl < 0):
        raise TypeError(f"@query_handler cache_ttl must be a non-negative int, got {cache_ttl!r}")
    return _decorate("query", query_type, name, {"cacheable": cacheable, "cache_ttl": cache_ttl, **metadata})
