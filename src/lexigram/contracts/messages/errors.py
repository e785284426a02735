"""The errors raised when a message is built or loaded with bad input."""

from __future__ import annotations

from typing import Any

from lexigram.contracts.exceptions import InvalidMessageError

__all__ = [
    "describe",
    "invalid_field",
    "missing_stored_field",
    "positional_arguments",
    "required_field",
    "unknown_fields",
]


def describe(value: Any) -> str:
    """A short description of a value for error messages."""
    text = repr(value)
    if len(text) > 60:
        text = text[:57] + "..."
    return f"{type(value).__name__} {text}"


def invalid_field(owner: str, field: str, expected: str, value: Any) -> InvalidMessageError:
    """Build the error raised when a field gets a value of the wrong type."""
    return InvalidMessageError(
        f"{owner}: field '{field}' expects {expected}, got {describe(value)}",
        details={"message_type": owner, "field": field, "expected": expected},
    )


def positional_arguments(owner: str, args: tuple[Any, ...]) -> InvalidMessageError:
    """A message was built with positional arguments."""
    return InvalidMessageError(
        f"{owner}() takes keyword arguments only; got {len(args)} positional argument(s) "
        f"({describe(args[0])}). Pass each field by name, e.g. {owner}(field=value)."
    )


def required_field(owner: str, name: str, required: tuple[str, ...]) -> InvalidMessageError:
    """A required field was not given."""
    return InvalidMessageError(
        f"{owner}: missing required field '{name}' (required fields: {', '.join(required)})",
        details={"message_type": owner, "field": name},
    )


def unknown_fields(
    owner: str, extra: dict[str, Any], payload: tuple[str, ...], base: tuple[str, ...]
) -> InvalidMessageError:
    """Keywords that are not fields of the class were given."""
    names = ", ".join(repr(k) for k in extra)
    return InvalidMessageError(
        f"{owner}: unknown field(s) {names}; its fields are {', '.join(payload) or '(none)'}, "
        f"plus the base fields {', '.join(base)}",
        details={"message_type": owner, "fields": list(extra)},
    )


def missing_stored_field(owner: str, name: str) -> InvalidMessageError:
    """Stored data lacks a required field."""
    return InvalidMessageError(
        f"{owner}: stored data has no value for the required field '{name}'",
        details={"message_type": owner, "field": name},
    )
