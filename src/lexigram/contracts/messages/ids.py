"""Fast identifiers and timestamps for messages."""

from __future__ import annotations

import random
from datetime import UTC, datetime
from uuid import UUID, SafeUUID

__all__ = ["new_uuid", "utc_now"]

_getrandbits = random.getrandbits
_new_object = object.__new__
_set_slot = object.__setattr__
_CLEAR = ~((0xC000 << 48) | (0xF000 << 64))
_VERSION_4 = (0x8000 << 48) | (0x4000 << 64)
_UNKNOWN = SafeUUID.unknown


def new_uuid() -> UUID:
    """Return a random (version 4) UUID, about twice as fast as ``uuid.uuid4()``.

    The bits come from the ``random`` module, which is seeded from the OS and re-seeded in forked
    children, so ids are unique across processes; they are not meant to be secrets.
    """
    value: UUID = _new_object(UUID)
    _set_slot(value, "int", (_getrandbits(128) & _CLEAR) | _VERSION_4)
    _set_slot(value, "is_safe", _UNKNOWN)
    return value


def utc_now() -> datetime:
    """Return the current time as a timezone-aware UTC datetime."""
    return datetime.now(UTC)
