"""Snapshots as JSON, for the stores that keep them in a server (Redis, MongoDB).

A snapshot is stored as one JSON object holding its aggregate id and type, version, timestamp,
state and metadata. State and metadata go through ``encode_state``/``decode_state`` (the same
encoding as the SQL stores), so UUIDs, Decimals, datetimes, tuples, sets, enums and value objects
come back as the types they were saved as.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from lexigram.contracts.events.records import Snapshot
from lexigram.events.exceptions import EventLoadError
from lexigram.events.stores.serialization import dumps_json, loads_json
from lexigram.events.stores.snapshot_state import decode_state, encode_state

__all__ = ["decode_snapshot", "encode_snapshot"]


def encode_snapshot(snapshot: Snapshot) -> bytes:
    """The JSON bytes of a snapshot."""
    return dumps_json(
        {
            "aggregate_id": str(snapshot.aggregate_id),
            "aggregate_type": snapshot.aggregate_type,
            "version": snapshot.version,
            "timestamp": snapshot.timestamp.isoformat(),
            "state": encode_state(snapshot.state),
            "metadata": encode_state(snapshot.metadata, "metadata"),
        }
    )


def decode_snapshot(data: bytes | str) -> Snapshot:
    """Rebuild a snapshot from ``encode_snapshot`` output."""
    try:
        document: Any = loads_json(data)
        return Snapshot(
            aggregate_id=document["aggregate_id"],
            aggregate_type=document["aggregate_type"],
            version=int(document["version"]),
            state=dict(decode_state(document["state"])),
            timestamp=datetime.fromisoformat(document["timestamp"]),
            metadata=dict(decode_state(document["metadata"])),
        )
    except (ValueError, KeyError, TypeError) as exc:
        raise EventLoadError(f"a stored snapshot cannot be read: {exc!r}") from exc
