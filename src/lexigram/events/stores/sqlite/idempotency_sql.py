"""The SQL of ``SqliteIdempotencyStore`` and the conversion of its rows into records.

``expires_at`` is stored as Unix seconds (a REAL), so expiry is one comparison; ``created_at``
as ISO 8601 text in UTC.
"""

from __future__ import annotations

import sqlite3
import time
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from lexigram.contracts.events.idempotency import ClaimOutcome, ClaimStatus, IdempotencyRecord, RecordStatus

__all__ = ["IdempotencySql", "claim_on", "record_from_row"]

_COLUMNS = "key, fingerprint, status, token, result, created_at, expires_at"
_LIVE = "(expires_at IS NULL OR expires_at > ?)"


@dataclass(frozen=True, slots=True)
class IdempotencySql:
    """The statements of the idempotency store, rendered once for its table name."""

    live: str
    put: str
    complete: str
    release: str
    purge: str

    @classmethod
    def render(cls, table: str) -> IdempotencySql:
        """The statements for this (validated) table name, quoted."""
        quoted = f'"{table}"'
        return cls(
            live=f"SELECT {_COLUMNS} FROM {quoted} WHERE key = ? AND {_LIVE}",
            put=f"INSERT OR REPLACE INTO {quoted} ({_COLUMNS}) VALUES (?, ?, ?, ?, ?, ?, ?)",
            complete=(
                f"UPDATE {quoted} SET status = 'completed', result = ?, expires_at = ? "
                f"WHERE key = ? AND token = ? AND status = 'pending' AND {_LIVE}"
            ),
            release=f"DELETE FROM {quoted} WHERE key = ? AND token = ? AND status = 'pending'",
            purge=f"DELETE FROM {quoted} WHERE expires_at IS NOT NULL AND expires_at <= ?",
        )


def record_from_row(row: tuple[Any, ...]) -> IdempotencyRecord:
    """An ``IdempotencyRecord`` from a row of ``live``."""
    key, fingerprint, status, token, result, created_at, expires_at = row
    return IdempotencyRecord(
        key=key,
        fingerprint=fingerprint,
        status=RecordStatus(status),
        token=token,
        result=result,
        created_at=datetime.fromisoformat(created_at),
        expires_at=None if expires_at is None else datetime.fromtimestamp(expires_at, UTC),
    )


def expiry(seconds: float | None, now: float) -> float | None:
    """Unix seconds ``seconds`` after ``now`` (None stays None: never)."""
    return None if seconds is None else now + seconds


def claim_on(
    connection: sqlite3.Connection,
    sql: IdempotencySql,
    key: str,
    fingerprint: str,
    token: str,
    lease_seconds: float,
) -> ClaimOutcome:
    """Claim ``key`` inside the caller's write transaction (which makes it atomic)."""
    now = time.time()
    row = connection.execute(sql.live, (key, now)).fetchone()
    if row is not None:
        record = record_from_row(row)
        status = ClaimStatus.COMPLETED if record.status is RecordStatus.COMPLETED else ClaimStatus.PENDING
        return ClaimOutcome(status, record)
    created = datetime.fromtimestamp(now, UTC)
    values = (
        key,
        fingerprint,
        RecordStatus.PENDING.value,
        token,
        None,
        created.isoformat(),
        now + lease_seconds,
    )
    connection.execute(sql.put, values).close()
    return ClaimOutcome(ClaimStatus.CLAIMED, record_from_row(values))
