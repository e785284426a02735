"""Turning whatever a user registers as a handler into one callable the buses can await.

A handler may be a function (async or sync), an object with a ``handle`` method (async or sync),
a callable object, or a class, which is instantiated once with no arguments. ``resolve_handler``
does that work once, at registration, so dispatch only calls a prepared function.
"""

from __future__ import annotations

import asyncio
import functools
import inspect
from collections.abc import Awaitable, Callable, Hashable
from dataclasses import dataclass
from typing import Any

__all__ = [
    "ResolvedHandler",
    "as_coroutine_function",
    "call_with_timeout",
    "handler_key",
    "qualified_name",
    "resolve_handler",
]


@dataclass(frozen=True, slots=True)
class ResolvedHandler:
    """A handler prepared for dispatch."""

    original: Any
    """What was registered: a function, an object or a class."""
    call: Callable[[Any], Any]
    """The function that takes the message (``handle`` of an object, or the function itself)."""
    is_async: bool
    """True when ``call`` is a coroutine function."""
    name: str
    """The fully qualified name of the handler (function or class)."""
    key: Hashable
    """Identity of the handler: registering an equal key again is a no-op."""


def handler_key(handler: Any) -> Hashable:
    """Identity of a handler, for "registering the same handler again does nothing".

    Equal bound methods are the same handler, and so are an object and its bound ``handle``
    (the object is called through it).
    """
    if inspect.ismethod(handler):
        if handler.__func__.__name__ == "handle":
            return ("object", id(handler.__self__))
        return ("method", id(handler.__self__), id(handler.__func__))
    return ("object", id(handler))


def qualified_name(obj: Any) -> str:
    """``module.QualName`` of a function or class; for other objects, of their class."""
    target = obj
    while isinstance(target, functools.partial):
        target = target.func
    if inspect.ismethod(target):
        target = target.__func__
    if not (inspect.isclass(target) or inspect.isfunction(target) or inspect.isbuiltin(target)):
        target = type(target)
    module = getattr(target, "__module__", None)
    name = getattr(target, "__qualname__", None) or getattr(target, "__name__", None) or repr(target)
    return f"{module}.{name}" if module else str(name)


def _is_coroutine_callable(function: Any) -> bool:
    if inspect.iscoroutinefunction(function):
        return True
    return inspect.iscoroutinefunction(type(function).__call__)  # an object with an async __call__


def _instances_are_callable(cls: type) -> bool:
    return any("__call__" in vars(klass) for klass in cls.__mro__ if klass is not object)


def _describe(handler: Any) -> str:
    return repr(handler) if not inspect.isclass(handler) else handler.__qualname__


def resolve_handler(handler: Any, role: str) -> ResolvedHandler:
    """Prepare ``handler`` for dispatch; ``role`` (e.g. "command handler") appears in errors.

    Raises ``TypeError`` when the handler is not usable, or when a handler class cannot be built
    with no arguments.
    """
    name = qualified_name(handler)
    target = handler
    if inspect.isclass(handler):
        if not (callable(getattr(handler, "handle", None)) or _instances_are_callable(handler)):
            raise TypeError(f"{role} class {handler.__qualname__} needs a 'handle(self, message)' method")
        try:
            target = handler()
        except TypeError as exc:
            raise TypeError(
                f"{role} class {handler.__qualname__} must be constructible with no arguments "
                f"({exc}); register an instance instead"
            ) from exc
    handle = getattr(target, "handle", None)
    if callable(handle) and not inspect.isfunction(target) and not inspect.ismethod(target):
        call: Callable[[Any], Any] = handle
    elif callable(target):
        call = target
    else:
        raise TypeError(
            f"{role} must be a function, an object with a handle() method or a class; "
            f"got {_describe(handler)}"
        )
    return ResolvedHandler(
        original=handler,
        call=call,
        is_async=_is_coroutine_callable(call),
        name=name,
        key=handler_key(handler),
    )


def as_coroutine_function(resolved: ResolvedHandler) -> Callable[[Any], Awaitable[Any]]:
    """An ``async (message) -> result`` function calling the handler; sync handlers are wrapped."""
    if resolved.is_async:
        return resolved.call
    call = resolved.call

    async def call_sync_handler(message: Any) -> Any:
        result = call(message)
        if inspect.isawaitable(result):
            result = await result
        return result

    return call_sync_handler


async def call_with_timeout(call: Callable[[Any], Awaitable[Any]], message: Any, seconds: float) -> Any:
    """Await ``call(message)``, cancelling it after ``seconds``.

    On expiry it raises ``TimeoutError("timed out after <seconds>s")``; a ``TimeoutError`` the
    handler raised itself passes through unchanged.
    """
    scope = asyncio.timeout(seconds)
    try:
        async with scope:
            return await call(message)
    except TimeoutError:
        if scope.expired():
            raise TimeoutError(f"timed out after {seconds:g}s") from None
        raise
