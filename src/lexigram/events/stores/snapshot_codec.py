"""Snapshots as JSON, for the stores that keep them in a server (Redis, MongoDB).

A snapshot is stored as one JSON object holding its aggregate id and type, version, timestamp,
state and metadata. The state and metadata go through ``to_jsonable``: strings, numbers, booleans,
None, lists and dicts come back as they were saved; UUIDs, Decimals, datetimes and enums come back
as their JSON form (strings), exactly as the events' own payloads are stored.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from lexigram.contracts.events.records import Snapshot
from lexigram.contracts.messages.jsonable import to_jsonable
from lexigram.events.exceptions import EventLoadError
from lexigram.events.stores.serialization import dumps_json, loads_json

__all__ = ["decode_snapshot", "encode_snapshot"]


def encode_snapshot(snapshot: Snapshot) -> bytes:
    """The JSON bytes of a snapshot."""
    return dumps_json(
        {
            "aggregate_id": str(snapshot.aggregate_id),
            "aggregate_type": snapshot.aggregate_type,
            "version": snapshot.version,
            "timestamp": snapshot.timestamp.isoformat(),
            "state": to_jsonable(snapshot.state),
            "metadata": to_jsonable(snapshot.metadata),
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
            state=dict(document["state"]),
            timestamp=datetime.fromisoformat(document["timestamp"]),
            metadata=dict(document["metadata"]),
        )
    except (ValueError, KeyError, TypeError) as exc:
        raise EventLoadError(f"a stored snapshot cannot be read: {exc!r}") from exc
