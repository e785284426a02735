"""Checkpoints and parked events as SQL rows, and back: the column order both SQL stores share.

The stores differ only in how a time travels (``timestamptz`` on PostgreSQL, ISO 8601 text on
SQLite), so each passes its own converters.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from datetime import datetime
from typing import Any

from lexigram.contracts.events.records import Checkpoint, ParkedEvent

__all__ = ["checkpoint_from_row", "checkpoint_values", "parked_from_row", "parked_values"]


def _same(value: Any) -> Any:
    return value


def checkpoint_values(checkpoint: Checkpoint, time_out: Callable[[datetime], Any] = _same) -> tuple[Any, ...]:
    """(projection_name, position, updated_at, state, error) of a checked checkpoint."""
    return (
        checkpoint.projection_name,
        checkpoint.position,
        time_out(checkpoint.updated_at),
        checkpoint.state,
        checkpoint.error,
    )


def parked_values(parked: ParkedEvent, time_out: Callable[[datetime], Any] = _same) -> tuple[Any, ...]:
    """(projection_name, position, stream_id, version, event_type, error, attempts, parked_at, blocked_by)."""
    return (
        parked.projection_name,
        parked.position,
        parked.stream_id,
        parked.version,
        parked.event_type,
        parked.error,
        parked.attempts,
        time_out(parked.parked_at),
        parked.blocked_by,
    )


def checkpoint_from_row(row: Sequence[Any], time_in: Callable[[Any], datetime] = _same) -> Checkpoint:
    """A ``Checkpoint`` from a row in ``checkpoint_values`` order."""
    name, position, updated_at, state, error = row
    return Checkpoint(name, int(position), time_in(updated_at), state, error)


def parked_from_row(row: Sequence[Any], time_in: Callable[[Any], datetime] = _same) -> ParkedEvent:
    """A ``ParkedEvent`` from a row in ``parked_values`` order."""
    name, position, stream_id, version, event_type, error, attempts, parked_at, blocked_by = row
    return ParkedEvent(
        projection_name=name,
        stream_id=stream_id,
        position=int(position),
        version=int(version),
        event_type=event_type,
        error=error,
        attempts=int(attempts),
        parked_at=time_in(parked_at),
        blocked_by=None if blocked_by is None else int(blocked_by),
    )
