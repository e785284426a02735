"""The SQL of ``SqliteCheckpointStore`` and the conversion between its rows and records.

Times are stored as ISO 8601 text in UTC (the checks normalise them before they get here), so
they read back as aware datetimes and sort as text.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from lexigram.contracts.events.records import Checkpoint, ParkedEvent

__all__ = ["CheckpointSql", "checkpoint_from_row", "checkpoint_row", "parked_from_row", "parked_row"]

_CHECKPOINT_COLUMNS = "projection_name, position, updated_at, state, error"
_PARKED_COLUMNS = (
    "projection_name, position, stream_id, version, event_type, error, attempts, parked_at, blocked_by"
)


@dataclass(frozen=True, slots=True)
class CheckpointSql:
    """The statements of the checkpoint store, rendered once for its table names."""

    save_checkpoint: str
    load_checkpoint: str
    list_checkpoints: str
    delete_checkpoint: str
    delete_parked_of: str
    park: str
    list_parked: str
    list_parked_of: str
    remove_parked: str

    @classmethod
    def render(cls, checkpoints_table: str, parked_table: str) -> CheckpointSql:
        """The statements for these (validated) table names, quoted."""
        checkpoints, parked = f'"{checkpoints_table}"', f'"{parked_table}"'
        return cls(
            save_checkpoint=(
                f"INSERT INTO {checkpoints} ({_CHECKPOINT_COLUMNS}) VALUES (?, ?, ?, ?, ?) "
                "ON CONFLICT (projection_name) DO UPDATE SET position = excluded.position, "
                "updated_at = excluded.updated_at, state = excluded.state, error = excluded.error"
            ),
            load_checkpoint=f"SELECT {_CHECKPOINT_COLUMNS} FROM {checkpoints} WHERE projection_name = ?",
            list_checkpoints=f"SELECT {_CHECKPOINT_COLUMNS} FROM {checkpoints} ORDER BY projection_name",
            delete_checkpoint=f"DELETE FROM {checkpoints} WHERE projection_name = ?",
            delete_parked_of=f"DELETE FROM {parked} WHERE projection_name = ?",
            park=(
                f"INSERT INTO {parked} ({_PARKED_COLUMNS}) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?) "
                "ON CONFLICT (projection_name, position) DO UPDATE SET stream_id = excluded.stream_id, "
                "version = excluded.version, event_type = excluded.event_type, error = excluded.error, "
                "attempts = excluded.attempts, parked_at = excluded.parked_at, "
                "blocked_by = excluded.blocked_by"
            ),
            list_parked=f"SELECT {_PARKED_COLUMNS} FROM {parked} ORDER BY projection_name, position",
            list_parked_of=(
                f"SELECT {_PARKED_COLUMNS} FROM {parked} WHERE projection_name = ? ORDER BY position"
            ),
            remove_parked=f"DELETE FROM {parked} WHERE projection_name = ? AND position = ?",
        )


def checkpoint_row(checkpoint: Checkpoint) -> tuple[Any, ...]:
    """The parameters of ``save_checkpoint`` for a checked checkpoint."""
    return (
        checkpoint.projection_name,
        checkpoint.position,
        checkpoint.updated_at.isoformat(),
        checkpoint.state,
        checkpoint.error,
    )


def checkpoint_from_row(row: tuple[Any, ...]) -> Checkpoint:
    """A ``Checkpoint`` from a row of ``load_checkpoint`` or ``list_checkpoints``."""
    name, position, updated_at, state, error = row
    return Checkpoint(name, position, datetime.fromisoformat(updated_at), state, error)


def parked_row(parked: ParkedEvent) -> tuple[Any, ...]:
    """The parameters of ``park`` for a checked parked event."""
    return (
        parked.projection_name,
        parked.position,
        parked.stream_id,
        parked.version,
        parked.event_type,
        parked.error,
        parked.attempts,
        parked.parked_at.isoformat(),
        parked.blocked_by,
    )


def parked_from_row(row: tuple[Any, ...]) -> ParkedEvent:
    """A ``ParkedEvent`` from a row of ``list_parked`` or ``list_parked_of``."""
    name, position, stream_id, version, event_type, error, attempts, parked_at, blocked_by = row
    return ParkedEvent(
        projection_name=name,
        stream_id=stream_id,
        position=position,
        version=version,
        event_type=event_type,
        error=error,
        attempts=attempts,
        parked_at=datetime.fromisoformat(parked_at),
        blocked_by=blocked_by,
    )
