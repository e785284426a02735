"""The SQL of ``SqliteCheckpointStore`` and the conversion between its rows and records.

Times are stored as ISO 8601 text in UTC (the checks normalise them before they get here), so
they read back as aware datetimes and sort as text.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from lexigram.contracts.events.records import Checkpoint, ParkedEvent
from lexigram.events.stores.checkpoint_rows import checkpoint_from_row as checkpoint_values_from_row
from lexigram.events.stores.checkpoint_rows import checkpoint_values, parked_values
from lexigram.events.stores.checkpoint_rows import parked_from_row as parked_values_from_row

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
    """The parameters of ``save_checkpoint`` for a checked checkpoint (times as ISO text)."""
    return checkpoint_values(checkpoint, datetime.isoformat)


def parked_row(parked: ParkedEvent) -> tuple[Any, ...]:
    """The parameters of ``park`` for a checked parked event (times as ISO text)."""
    return parked_values(parked, datetime.isoformat)


def checkpoint_from_row(row: tuple[Any, ...]) -> Checkpoint:
    """A ``Checkpoint`` from a row of ``load_checkpoint`` or ``list_checkpoints``."""
    return checkpoint_values_from_row(row, datetime.fromisoformat)


def parked_from_row(row: tuple[Any, ...]) -> ParkedEvent:
    """A ``ParkedEvent`` from a row of ``list_parked`` or ``list_parked_of``."""
    return parked_values_from_row(row, datetime.fromisoformat)
