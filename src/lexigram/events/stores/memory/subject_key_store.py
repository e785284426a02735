"""``InMemorySubjectKeyStore``: subject data keys in a dict, for tests and single-process demos."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import TYPE_CHECKING

from lexigram.contracts.events.keys import SubjectKey
from lexigram.events.stores.subject_key_checks import checked_pair, checked_wrapped_key

if TYPE_CHECKING:
    from lexigram.contracts.events.keys import SubjectKeyStoreProtocol

__all__ = ["InMemorySubjectKeyStore"]


class InMemorySubjectKeyStore:
    """Wrapped subject data keys kept in memory; everything is lost when the process ends."""

    def __init__(self) -> None:
        self._records: dict[tuple[str, str], SubjectKey] = {}

    async def get(self, alias: str, subject: str) -> SubjectKey | None:
        """The subject's key record (possibly forgotten), or None."""
        return self._records.get(checked_pair(alias, subject))

    async def create(self, alias: str, subject: str, wrapped_key: bytes) -> SubjectKey:
        """Store the key unless the subject has a record; return the stored record."""
        pair = checked_pair(alias, subject)
        wrapped = checked_wrapped_key(wrapped_key)
        return self._records.setdefault(pair, SubjectKey(alias, subject, wrapped, datetime.now(UTC)))

    async def forget(self, alias: str, subject: str) -> bool:
        """Destroy the subject's key, keeping a tombstone; True when a key was destroyed now."""
        pair = checked_pair(alias, subject)
        now = datetime.now(UTC)
        record = self._records.get(pair)
        if record is not None and record.wrapped_key is None:
            return False
        created = record.created_at if record is not None else now
        self._records[pair] = SubjectKey(alias, subject, None, created, now)
        return record is not None

    async def list_keys(self, alias: str | None = None) -> list[SubjectKey]:
        """Every record, of one alias or all, by alias and subject."""
        return [self._records[pair] for pair in sorted(self._records) if alias is None or pair[0] == alias]

    async def close(self) -> None:
        """Nothing to release."""


def _satisfies_the_protocol(store: InMemorySubjectKeyStore) -> SubjectKeyStoreProtocol:
    return store
