"""The SQL of ``PostgresIdempotencyStore`` and the conversion of its rows into records.

Every time comes from the server's ``clock_timestamp()``, so processes on machines whose clocks
disagree still agree on which records expired.
"""

from __future__ import annotations

from typing import Any

from lexigram.contracts.events.idempotency import IdempotencyRecord, RecordStatus

__all__ = ["IdempotencyStatements", "record_from_row"]

_COLUMNS = "key, fingerprint, status, token, result, created_at, expires_at"
_EXPIRY = (
    "CASE WHEN $%d::float8 IS NULL THEN NULL ELSE clock_timestamp() + make_interval(secs => $%d::float8) END"
)


class IdempotencyStatements:
    """The statements of the idempotency store, rendered once for its quoted table name."""

    def __init__(self, keys: str) -> None:
        replace_expired = """
            ON CONFLICT (key) DO UPDATE SET fingerprint = EXCLUDED.fingerprint, status = EXCLUDED.status,
                token = EXCLUDED.token, result = EXCLUDED.result, created_at = EXCLUDED.created_at,
                expires_at = EXCLUDED.expires_at
            WHERE k.expires_at IS NOT NULL AND k.expires_at <= clock_timestamp()"""
        self.claim = f"""
            INSERT INTO {keys} AS k ({_COLUMNS})
            VALUES ($1, $2, 'pending', $3, NULL, clock_timestamp(),
                    clock_timestamp() + make_interval(secs => $4::float8))
            {replace_expired}
            RETURNING {_COLUMNS}"""
        self.live = f"""
            SELECT {_COLUMNS} FROM {keys}
            WHERE key = $1 AND (expires_at IS NULL OR expires_at > clock_timestamp())"""
        self.complete = f"""
            UPDATE {keys} SET status = 'completed', result = $3, expires_at = {_EXPIRY % (4, 4)}
            WHERE key = $1 AND token = $2 AND status = 'pending'
              AND (expires_at IS NULL OR expires_at > clock_timestamp())"""
        self.release = f"DELETE FROM {keys} WHERE key = $1 AND token = $2 AND status = 'pending'"
        self.purge = f"DELETE FROM {keys} WHERE expires_at IS NOT NULL AND expires_at <= clock_timestamp()"
        self.record_once = f"""
            INSERT INTO {keys} AS k ({_COLUMNS})
            VALUES ($1, $2, 'completed', 'inbox', 'null', clock_timestamp(), {_EXPIRY % (3, 3)})
            {replace_expired}
            RETURNING key"""


def record_from_row(row: Any) -> IdempotencyRecord:
    """An ``IdempotencyRecord`` from a row of ``claim`` or ``live``."""
    key, fingerprint, status, token, result, created_at, expires_at = tuple(row)
    return IdempotencyRecord(
        key=key,
        fingerprint=fingerprint,
        status=RecordStatus(status),
        token=token,
        result=result,
        created_at=created_at,
        expires_at=expires_at,
    )
