"""Which command handlers are idempotent, and for how long their results are kept.

A handler is idempotent when it is decorated ``@idempotent`` (or ``@idempotent(ttl=...)``), or
``@command_handler(X, idempotent=True, idempotency_ttl=...)``. The command bus asks
``idempotency_policy`` once, when the handler is registered, never per command.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

__all__ = ["DEFAULT_RESULT_TTL", "IDEMPOTENT_MARKER", "IdempotencyPolicy", "idempotency_policy"]

DEFAULT_RESULT_TTL = 24 * 3600.0
"""Seconds a recorded command result is kept by default (a day, like common payment APIs)."""

IDEMPOTENT_MARKER = "__lexigram_idempotent__"
"""The attribute ``@idempotent`` sets on a handler: an ``IdempotencyPolicy``."""


@dataclass(frozen=True, slots=True)
class IdempotencyPolicy:
    """How a handler's commands are de-duplicated."""

    ttl: float = DEFAULT_RESULT_TTL
    """Seconds the result stays recorded; later commands with the key get it without running."""


def _candidates(handler: Any) -> list[Any]:
    owner = getattr(handler, "__self__", None)
    found = [handler, type(handler), getattr(handler, "__func__", None)]
    if owner is not None:
        found.append(type(owner))
    return [candidate for candidate in found if candidate is not None]


def idempotency_policy(handler: Any) -> IdempotencyPolicy | None:
    """The policy a handler was declared with, or None when it is not declared idempotent."""
    from lexigram.events.decorators.handlers import declared_handler_info, get_handler_info

    for candidate in _candidates(handler):
        marker = (
            vars(candidate).get(IDEMPOTENT_MARKER)
            if isinstance(candidate, type)
            else getattr(candidate, IDEMPOTENT_MARKER, None)
        )
        if isinstance(marker, IdempotencyPolicy):
            return marker
        info = get_handler_info(candidate) or declared_handler_info(candidate)
        if info is not None and info.metadata.get("idempotent"):
            ttl = info.metadata.get("idempotency_ttl")
            return IdempotencyPolicy() if ttl is None else IdempotencyPolicy(ttl=float(ttl))
    return None
