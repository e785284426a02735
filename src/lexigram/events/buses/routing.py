"""What the command and query buses share: one handler per exact message type, behind middleware.

Each registered type gets a *route*: the middleware chain wrapped around a guarded call of its
handler. Routes are rebuilt when a handler or a middleware is added, never per message, so
dispatch is a dict lookup and one call.

The guard is the one place where handler failures are caught: a ``LexigramError`` passes through
unchanged, anything else becomes the bus's execution error with ``__cause__`` set, and a handler
running past ``timeout_seconds`` is cancelled and reported as "timed out".
"""

from __future__ import annotations

import dataclasses
import inspect
from abc import ABC, abstractmethod
from collections.abc import Awaitable, Callable, Iterable
from typing import Any, ClassVar, Protocol, Self

from lexigram.contracts.exceptions import LexigramError
from lexigram.contracts.messages import MessageModel
from lexigram.events.buses.invocation import (
    ResolvedHandler,
    as_coroutine_function,
    call_with_timeout,
    handler_key,
    qualified_name,
    resolve_handler,
)
from lexigram.events.buses.pipeline import build_chain, check_middleware
from lexigram.events.exceptions import DuplicateHandlerError, HandlerNotFoundError
from lexigram.events.middleware.base import MiddlewareCallable, NextHandler

__all__ = ["SingleHandlerBus", "guard_handler", "is_message_type"]


class _TimeoutSetting(Protocol):
    timeout_seconds: float | None


def is_message_type(cls: type) -> bool:
    """True for message classes (``Command``, ``Query``, ``DomainEvent``...) and dataclasses."""
    return issubclass(cls, MessageModel) or dataclasses.is_dataclass(cls)


def guard_handler(
    call: Callable[[Any], Awaitable[Any]],
    settings: _TimeoutSetting,
    execution_error: Callable[[str, str], LexigramError],
) -> NextHandler:
    """Wrap a handler call with the bus's timeout and error translation (read on every call)."""

    async def guarded(message: Any) -> Any:
        try:
            timeout = settings.timeout_seconds
            if timeout is None:
                return await call(message)
            return await call_with_timeout(call, message, timeout)
        except LexigramError:
            raise
        except Exception as exc:
            raise execution_error(type(message).__name__, str(exc) or type(exc).__name__) from exc

    return guarded


class SingleHandlerBus(ABC):
    """Base of ``CommandBusImpl`` and ``QueryBusImpl``: registration, middleware and routes."""

    _role: ClassVar[str] = "message"
    _verb: ClassVar[str] = "dispatch"

    def __init__(self, middlewares: Iterable[MiddlewareCallable] | None = None) -> None:
        self._handlers: dict[type, ResolvedHandler] = {}
        self._routes: dict[type, NextHandler] = {}
        self._middlewares: list[MiddlewareCallable] = [check_middleware(m) for m in middlewares or ()]

    @property
    def middlewares(self) -> tuple[MiddlewareCallable, ...]:
        """The middleware in pipeline order (the first is the outermost)."""
        return tuple(self._middlewares)

    def register(self, message_type: type, handler: Any) -> None:
        """Register the one handler of ``message_type``.

        Registering the same handler again does nothing; a different one raises
        ``DuplicateHandlerError`` and the first stays active.
        """
        if not inspect.isclass(message_type):
            raise TypeError(f"register() expects a {self._role} class, got {message_type!r}")
        existing = self._handlers.get(message_type)
        if existing is not None:
            if existing.key == handler_key(handler):
                return
            raise DuplicateHandlerError(message_type.__name__, existing.name, qualified_name(handler))
        resolved = resolve_handler(handler, f"{self._role} handler for {message_type.__name__}")
        self._handlers[message_type] = resolved
        self._routes[message_type] = self._build_route(message_type, resolved)

    def unregister(self, message_type: type) -> bool:
        """Remove the handler of ``message_type``; True when there was one."""
        self._routes.pop(message_type, None)
        return self._handlers.pop(message_type, None) is not None

    def has_handler(self, message_type: type) -> bool:
        """True when ``message_type`` has a handler."""
        return message_type in self._handlers

    def use(self, middleware: MiddlewareCallable) -> Self:
        """Append a middleware (it runs inside those added before it) and return the bus."""
        self._middlewares.append(check_middleware(middleware))
        self._routes = {t: self._build_route(t, r) for t, r in self._handlers.items()}
        return self

    def _build_route(self, message_type: type, resolved: ResolvedHandler) -> NextHandler:
        terminal = self._terminal(message_type, resolved, as_coroutine_function(resolved))
        return build_chain(self._middlewares, terminal)

    @abstractmethod
    def _terminal(
        self, message_type: type, resolved: ResolvedHandler, call: Callable[[Any], Awaitable[Any]]
    ) -> NextHandler:
        """The innermost step of a route: the guarded handler call."""

    def _no_route(self, message: Any) -> Exception:
        """The error for a message without a route: bad input, or no handler registered."""
        if inspect.isclass(message):
            return TypeError(
                f"{self._verb}() expects a {self._role} instance, got the class {message.__qualname__}"
            )
        if not is_message_type(type(message)):
            return TypeError(f"{self._verb}() expects a {self._role}, got {type(message).__name__}")
        return HandlerNotFoundError(type(message).__name__, self._role)
