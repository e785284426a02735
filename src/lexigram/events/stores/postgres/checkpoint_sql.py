"""The SQL of ``PostgresCheckpointStore`` and the conversion between its rows and records.

Times travel as ``timestamptz``: asyncpg sends aware datetimes as they are and reads them back
as aware UTC datetimes.
"""

from __future__ import annotations

from typing import Any

from lexigram.contracts.events.records import Checkpoint, ParkedEvent
from lexigram.events.stores.checkpoint_rows import (
    checkpoint_from_row,
    checkpoint_values,
    parked_from_row,
    parked_values,
)

__all__ = [
    "CheckpointStatements",
    "checkpoint_arguments",
    "checkpoint_from_row",
    "parked_arguments",
    "parked_from_row",
]


class CheckpointStatements:
    """The statements of the checkpoint store, rendered once for its quoted table names."""

    def __init__(self, checkpoints: str, parked: str) -> None:
        checkpoint_columns = "projection_name, position, updated_at, state, error"
        parked_columns = (
            "projection_name, position, stream_id, version, event_type, error, attempts, parked_at, "
            "blocked_by"
        )
        self.save_checkpoint = f"""
            INSERT INTO {checkpoints} ({checkpoint_columns}) VALUES ($1, $2, $3, $4, $5)
            ON CONFLICT (projection_name) DO UPDATE SET position = EXCLUDED.position,
                updated_at = EXCLUDED.updated_at, state = EXCLUDED.state, error = EXCLUDED.error"""
        self.load_checkpoint = f"SELECT {checkpoint_columns} FROM {checkpoints} WHERE projection_name = $1"
        self.list_checkpoints = f"SELECT {checkpoint_columns} FROM {checkpoints} ORDER BY projection_name"
        self.delete = f"""
            WITH forgotten AS (DELETE FROM {parked} WHERE projection_name = $1)
            DELETE FROM {checkpoints} WHERE projection_name = $1"""
        self.park = f"""
            INSERT INTO {parked} ({parked_columns}) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)
            ON CONFLICT (projection_name, position) DO UPDATE SET stream_id = EXCLUDED.stream_id,
                version = EXCLUDED.version, event_type = EXCLUDED.event_type, error = EXCLUDED.error,
                attempts = EXCLUDED.attempts, parked_at = EXCLUDED.parked_at,
                blocked_by = EXCLUDED.blocked_by"""
        self.list_parked = f"SELECT {parked_columns} FROM {parked} ORDER BY projection_name, position"
        self.list_parked_of = (
            f"SELECT {parked_columns} FROM {parked} WHERE projection_name = $1 ORDER BY position"
        )
        self.remove_parked = f"DELETE FROM {parked} WHERE projection_name = $1 AND position = $2"


def checkpoint_arguments(checkpoint: Checkpoint) -> tuple[Any, ...]:
    """The arguments of ``save_checkpoint`` for a checked checkpoint (times as they are)."""
    return checkpoint_values(checkpoint)


def parked_arguments(parked: ParkedEvent) -> tuple[Any, ...]:
    """The arguments of ``park`` for a checked parked event (times as they are)."""
    return parked_values(parked)
