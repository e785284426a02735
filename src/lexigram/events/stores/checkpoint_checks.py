"""Checking what a checkpoint store is given, once for every backend.

Every public method of a checkpoint store passes its arguments through these functions before
any work is done, so all stores accept the same values and reject bad ones with the same
``InvalidCheckpointError``. The checked records are fresh copies, so a caller changing its
``Checkpoint`` or ``ParkedEvent`` afterwards changes nothing stored. Times are normalised to
UTC (a naive datetime is taken to be UTC already): every store hands back aware UTC datetimes.

``store_failures`` is the other shared boundary: a database failure reported by the SQL layer
(an ``EventStoreError``) leaves a checkpoint store as a ``CheckpointStoreError``.
"""

from __future__ import annotations

from contextlib import AbstractAsyncContextManager
from datetime import UTC, datetime
from typing import Any

from lexigram.contracts.events.records import Checkpoint, ParkedEvent
from lexigram.events.exceptions import CheckpointStoreError, InvalidCheckpointError
from lexigram.events.stores.failures import reported_as

__all__ = [
    "LARGEST_INTEGER",
    "checked_checkpoint",
    "checked_name",
    "checked_parked",
    "checked_position",
    "ended_transaction",
    "store_failures",
]

LARGEST_INTEGER = (1 << 63) - 1
"""The largest position, version or attempt count a store accepts (a signed 64-bit column)."""


def _integer(what: str, value: Any) -> int:
    if isinstance(value, bool) or not isinstance(value, int):
        raise InvalidCheckpointError(f"{what} must be an integer >= 0, got {type(value).__name__}: {value!r}")
    if not 0 <= value <= LARGEST_INTEGER:
        raise InvalidCheckpointError(f"{what} must be an integer from 0 to 2**63 - 1, got {value!r}")
    return int(value)


def _optional_integer(what: str, value: Any) -> int | None:
    return None if value is None else _integer(what, value)


def _text(what: str, value: Any, *, empty: bool = True) -> str:
    if not isinstance(value, str):
        raise InvalidCheckpointError(f"{what} must be a str, got {type(value).__name__}: {value!r}")
    if not value and not empty:
        raise InvalidCheckpointError(f"{what} must not be empty")
    return value


def _optional_text(what: str, value: Any) -> str | None:
    if value is None or isinstance(value, str):
        return value
    raise InvalidCheckpointError(f"{what} must be a str or None, got {type(value).__name__}: {value!r}")


def _moment(what: str, value: Any) -> datetime:
    if not isinstance(value, datetime):
        raise InvalidCheckpointError(f"{what} must be a datetime, got {type(value).__name__}: {value!r}")
    return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


def checked_name(name: Any, what: str = "the projection name") -> str:
    """A projection name: a non-empty ``str``."""
    return _text(what, name, empty=False)


def checked_position(position: Any, what: str = "position") -> int:
    """A global position: an integer from 0 to 2**63 - 1 (``bool`` is not an integer here)."""
    return _integer(what, position)


def checked_checkpoint(checkpoint: Any) -> Checkpoint:
    """A valid copy of ``checkpoint``, its ``updated_at`` in UTC."""
    if not isinstance(checkpoint, Checkpoint):
        raise InvalidCheckpointError(
            f"expected a Checkpoint, got {type(checkpoint).__name__}: {checkpoint!r}"
        )
    return Checkpoint(
        projection_name=checked_name(checkpoint.projection_name, "Checkpoint.projection_name"),
        position=checked_position(checkpoint.position, "Checkpoint.position"),
        updated_at=_moment("Checkpoint.updated_at", checkpoint.updated_at),
        state=_optional_text("Checkpoint.state", checkpoint.state),
        error=_optional_text("Checkpoint.error", checkpoint.error),
    )


def checked_parked(parked: Any) -> ParkedEvent:
    """A valid copy of ``parked``, its ``parked_at`` in UTC."""
    if not isinstance(parked, ParkedEvent):
        raise InvalidCheckpointError(f"expected a ParkedEvent, got {type(parked).__name__}: {parked!r}")
    return ParkedEvent(
        projection_name=checked_name(parked.projection_name, "ParkedEvent.projection_name"),
        stream_id=_text("ParkedEvent.stream_id", parked.stream_id, empty=False),
        position=checked_position(parked.position, "ParkedEvent.position"),
        version=_integer("ParkedEvent.version", parked.version),
        event_type=_text("ParkedEvent.event_type", parked.event_type, empty=False),
        error=_text("ParkedEvent.error", parked.error),
        attempts=_integer("ParkedEvent.attempts", parked.attempts),
        parked_at=_moment("ParkedEvent.parked_at", parked.parked_at),
        blocked_by=_optional_integer("ParkedEvent.blocked_by", parked.blocked_by),
    )


def ended_transaction(what: str) -> CheckpointStoreError:
    """The error for a transaction (or its session) used after its ``async with`` block."""
    return CheckpointStoreError(
        f"this checkpoint transaction has ended, so its {what} cannot be used any more; do all the "
        "work inside the `async with store.transaction() as transaction:` block"
    )


def store_failures() -> AbstractAsyncContextManager[None]:
    """Re-raise a storage failure (``EventStoreError``) of the block as ``CheckpointStoreError``.

    The message and details are kept and the original error becomes the ``__cause__``; schema
    and configuration problems (``SchemaError``, ``ConfigurationError``) pass unchanged.
    """
    return reported_as(CheckpointStoreError)
