"""Building a middleware chain once, so that dispatch calls one prepared function."""

from __future__ import annotations

import inspect
from collections.abc import Sequence
from typing import Any, cast

from lexigram.events.middleware.base import MiddlewareCallable, NextHandler

__all__ = ["build_chain", "check_middleware"]


def check_middleware(middleware: Any) -> MiddlewareCallable:
    """Return ``middleware`` if a bus can use it; raise ``TypeError`` naming the problem otherwise."""
    if inspect.isclass(middleware):
        raise TypeError(
            f"middleware must be an instance, not the class {middleware.__qualname__}; "
            f"use {middleware.__qualname__}()"
        )
    if not callable(middleware):
        raise TypeError(f"middleware must be an async callable (message, next_handler); got {middleware!r}")
    return cast(MiddlewareCallable, middleware)


def _link(middleware: MiddlewareCallable, next_handler: NextHandler) -> NextHandler:
    def run_middleware(message: Any) -> Any:
        return middleware(message, next_handler)

    return run_middleware


def build_chain(middlewares: Sequence[MiddlewareCallable], terminal: NextHandler) -> NextHandler:
    """Wrap ``terminal`` in ``middlewares``; the first middleware is the outermost."""
    chain = terminal
    for middleware in reversed(middlewares):
        chain = _link(middleware, chain)
    return chain
