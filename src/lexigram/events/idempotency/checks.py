"""Checking what the idempotency stores and the inbox are given, once for every backend."""

from __future__ import annotations

import math
from datetime import UTC, datetime
from typing import Any

from lexigram.events.exceptions import IdempotencyResultError, InvalidIdempotencyKeyError

__all__ = [
    "MAX_KEY_LENGTH",
    "checked_key",
    "checked_result",
    "checked_seconds",
    "checked_token",
    "checked_ttl",
    "utc_now",
]

MAX_KEY_LENGTH = 512
"""The longest idempotency key a store accepts (prefix included)."""


def utc_now() -> datetime:
    """The current time, aware, in UTC."""
    return datetime.now(UTC)


def checked_key(key: Any, what: str = "the idempotency key") -> str:
    """A non-empty ``str`` of at most ``MAX_KEY_LENGTH`` characters."""
    if not isinstance(key, str):
        raise InvalidIdempotencyKeyError(f"{what} must be a str, got {type(key).__name__}: {key!r}")
    if not key:
        raise InvalidIdempotencyKeyError(f"{what} must not be empty")
    if len(key) > MAX_KEY_LENGTH:
        raise InvalidIdempotencyKeyError(
            f"{what} is {len(key)} characters long; use at most {MAX_KEY_LENGTH} (hash longer keys)"
        )
    return key


def checked_token(token: Any) -> str:
    """A claim token: a non-empty ``str``."""
    return checked_key(token, "the claim token")


def checked_seconds(value: Any, what: str) -> float:
    """A positive, finite number of seconds."""
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        raise InvalidIdempotencyKeyError(
            f"{what} must be a positive number of seconds, got {type(value).__name__}: {value!r}"
        )
    if not math.isfinite(value) or value <= 0:
        raise InvalidIdempotencyKeyError(
            f"{what} must be a positive, finite number of seconds, got {value!r}"
        )
    return float(value)


def checked_ttl(value: Any, what: str = "ttl") -> float | None:
    """A positive number of seconds, or None for "for ever"."""
    return None if value is None else checked_seconds(value, what)


def checked_result(result: Any) -> str:
    """A recorded result: JSON text."""
    if not isinstance(result, str):
        raise IdempotencyResultError(
            f"a recorded result must be JSON text (str), got {type(result).__name__}"
        )
    return result
