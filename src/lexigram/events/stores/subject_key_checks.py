"""Checking what a subject-key store is given, once for every backend."""

from __future__ import annotations

import re
from typing import Any

from lexigram.contracts.exceptions import ConfigurationError, ValidationError

__all__ = ["checked_pair", "checked_table", "checked_wrapped_key"]

_TABLE_NAME = re.compile(r"^[A-Za-z_][A-Za-z0-9_]{0,40}$")


def checked_pair(alias: Any, subject: Any) -> tuple[str, str]:
    """A key alias and a subject id, both non-empty strings."""
    if not isinstance(alias, str) or not alias:
        raise ValidationError(f"a key alias is a non-empty string, got {alias!r}")
    if not isinstance(subject, str) or not subject:
        raise ValidationError(f"a data subject is a non-empty string, got {subject!r}")
    return alias, subject


def checked_wrapped_key(wrapped_key: Any) -> bytes:
    """A wrapped data key: non-empty bytes."""
    if not isinstance(wrapped_key, (bytes, bytearray)) or not wrapped_key:
        raise ValidationError(f"a wrapped data key is non-empty bytes, got {type(wrapped_key).__name__}")
    return bytes(wrapped_key)


def checked_table(table: Any) -> str:
    """A table name: a letter or underscore, then up to 40 letters, digits or underscores."""
    if not isinstance(table, str) or not _TABLE_NAME.match(table):
        raise ConfigurationError(
            f"table must be a name of letters, digits and underscores (at most 41, not starting with a "
            f"digit), got {table!r}"
        )
    return table
