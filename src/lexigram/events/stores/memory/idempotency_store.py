"""``InMemoryIdempotencyStore``: idempotency records in a dict, for tests and single processes.

Every method runs without awaiting in between its read and its write, so ``claim`` is atomic
among the tasks of the event loop. Records are lost when the process ends.
"""

from __future__ import annotations

import dataclasses
from datetime import datetime, timedelta
from typing import TYPE_CHECKING

from lexigram.contracts.events.idempotency import (
    ClaimOutcome,
    ClaimStatus,
    IdempotencyRecord,
    RecordStatus,
)
from lexigram.events.idempotency.checks import (
    checked_key,
    checked_result,
    checked_seconds,
    checked_token,
    checked_ttl,
    utc_now,
)

if TYPE_CHECKING:
    from lexigram.contracts.events.idempotency import IdempotencyStoreProtocol

__all__ = ["InMemoryIdempotencyStore"]


def _live(record: IdempotencyRecord | None, now: datetime) -> IdempotencyRecord | None:
    if record is None or (record.expires_at is not None and record.expires_at <= now):
        return None
    return record


class InMemoryIdempotencyStore:
    """Idempotency records of one process, in memory.

    Example::

        store = InMemoryIdempotencyStore()
        bus = CommandBus(idempotency_store=store)
    """

    def __init__(self) -> None:
        self._records: dict[str, IdempotencyRecord] = {}

    def __len__(self) -> int:
        return len(self._records)

    async def connect(self) -> None:
        """Nothing to open; present so every store can be connected the same way."""

    async def close(self) -> None:
        """Nothing to release; the records stay."""

    async def claim(self, key: str, fingerprint: str, token: str, lease_seconds: float) -> ClaimOutcome:
        """Claim ``key`` when it is free (absent or expired); otherwise return its live record."""
        key, token = checked_key(key), checked_token(token)
        fingerprint = checked_key(fingerprint, "the fingerprint")
        lease = checked_seconds(lease_seconds, "lease_seconds")
        now = utc_now()
        existing = _live(self._records.get(key), now)
        if existing is not None:
            status = (
                ClaimStatus.COMPLETED if existing.status is RecordStatus.COMPLETED else ClaimStatus.PENDING
            )
            return ClaimOutcome(status, existing)
        record = IdempotencyRecord(
            key=key,
            fingerprint=fingerprint,
            status=RecordStatus.PENDING,
            token=token,
            result=None,
            created_at=now,
            expires_at=now + timedelta(seconds=lease),
        )
        self._records[key] = record
        return ClaimOutcome(ClaimStatus.CLAIMED, record)

    async def complete(self, key: str, token: str, result: str, ttl_seconds: float | None) -> bool:
        """Record the result of the claim ``token`` holds; False when it holds none."""
        key, token = checked_key(key), checked_token(token)
        result = checked_result(result)
        ttl = checked_ttl(ttl_seconds, "ttl_seconds")
        now = utc_now()
        record = _live(self._records.get(key), now)
        if record is None or record.token != token or record.status is not RecordStatus.PENDING:
            return False
        self._records[key] = dataclasses.replace(
            record,
            status=RecordStatus.COMPLETED,
            result=result,
            expires_at=None if ttl is None else now + timedelta(seconds=ttl),
        )
        return True

    async def release(self, key: str, token: str) -> bool:
        """Delete the pending claim ``token`` holds; False when it holds none."""
        key, token = checked_key(key), checked_token(token)
        record = self._records.get(key)
        if record is None or record.token != token or record.status is not RecordStatus.PENDING:
            return False
        del self._records[key]
        return True

    async def get(self, key: str) -> IdempotencyRecord | None:
        """The live record of ``key``, or None."""
        return _live(self._records.get(checked_key(key)), utc_now())

    async def purge_expired(self) -> int:
        """Delete the expired records; return how many."""
        now = utc_now()
        expired = [key for key, record in self._records.items() if _live(record, now) is None]
        for key in expired:
            del self._records[key]
        return len(expired)


if TYPE_CHECKING:

    def _satisfies_the_protocol(store: InMemoryIdempotencyStore) -> IdempotencyStoreProtocol:
        return store
