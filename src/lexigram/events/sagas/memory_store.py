"""``InMemorySagaStore``: saga instances in process memory (the default of ``SagaManager``).

Records are kept encoded, exactly as the SQL stores keep them, so what comes back is a fresh copy
and the same values are accepted and rejected everywhere. Nothing survives the process: use
``SqlSagaStore`` for sagas that must resume after a restart.
"""

from __future__ import annotations

from datetime import datetime
from typing import TYPE_CHECKING, Any

from lexigram.contracts.workflow.records import SagaRecord
from lexigram.events.exceptions import SagaConcurrencyError, SagaNotFoundError
from lexigram.events.sagas.rows import (
    INCOMPLETE_STATES,
    checked_key,
    checked_record,
    checked_saga_id,
    checked_version,
    record_from_values,
    record_values,
)

if TYPE_CHECKING:
    from lexigram.contracts.workflow.stores import SagaStoreProtocol

__all__ = ["InMemorySagaStore"]

_INCOMPLETE = frozenset(state.value for state in INCOMPLETE_STATES)


def _same(moment: datetime) -> datetime:
    return moment


class InMemorySagaStore:
    """Saga instances in a dict, with the same version checks as the SQL stores."""

    def __init__(self) -> None:
        self._rows: dict[str, tuple[Any, ...]] = {}
        self._by_key: dict[tuple[str, str], str] = {}

    async def create(self, record: SagaRecord) -> SagaRecord:
        """Store a new instance as version 1 and return it."""
        checked = checked_record(record).evolve(version=1)
        if checked.saga_id in self._rows:
            raise SagaConcurrencyError(
                checked.saga_id, f"a saga with the id '{checked.saga_id}' exists already; choose another id"
            )
        key = None if checked.correlation_key is None else (checked.saga_type, checked.correlation_key)
        if key is not None and key in self._by_key:
            raise SagaConcurrencyError(
                checked.saga_id,
                f"the {checked.saga_type} saga '{self._by_key[key]}' has the correlation key "
                f"'{checked.correlation_key}' already; load it with find() instead of creating another",
            )
        self._rows[checked.saga_id] = record_values(checked, _same)
        if key is not None:
            self._by_key[key] = checked.saga_id
        return record_from_values(self._rows[checked.saga_id], _same)

    async def save(self, record: SagaRecord, expected_version: int) -> SagaRecord:
        """Replace the instance if it is still at ``expected_version``; return it at the next version."""
        checked = checked_record(record)
        expected = checked_version(expected_version)
        row = self._rows.get(checked.saga_id)
        if row is None:
            raise SagaNotFoundError(f"no saga has the id '{checked.saga_id}'; create() it first")
        stored = record_from_values(row, _same)
        if stored.version != expected:
            raise SagaConcurrencyError(
                checked.saga_id,
                f"saga '{checked.saga_id}' is at version {stored.version}, not {expected}: another manager "
                "saved it since it was read; reload it",
                expected,
                stored.version,
            )
        if (stored.saga_type, stored.correlation_key) != (checked.saga_type, checked.correlation_key):
            raise SagaConcurrencyError(
                checked.saga_id,
                f"saga '{checked.saga_id}' cannot change its saga type or correlation key once created",
            )
        self._rows[checked.saga_id] = record_values(checked.evolve(version=expected + 1), _same)
        return record_from_values(self._rows[checked.saga_id], _same)

    async def get(self, saga_id: str) -> SagaRecord | None:
        """The instance with this id, or None."""
        row = self._rows.get(checked_saga_id(saga_id))
        return None if row is None else record_from_values(row, _same)

    async def find(self, saga_type: str, correlation_key: str) -> SagaRecord | None:
        """The instance of ``saga_type`` with this correlation key, or None."""
        saga_id = self._by_key.get(checked_key(saga_type, correlation_key))
        return None if saga_id is None else record_from_values(self._rows[saga_id], _same)

    async def list_incomplete(self) -> list[SagaRecord]:
        """Every instance not in a final state, oldest first."""
        rows = [row for row in self._rows.values() if row[2] in _INCOMPLETE]
        rows.sort(key=lambda row: (row[12], row[0]))
        return [record_from_values(row, _same) for row in rows]

    async def delete(self, saga_id: str) -> bool:
        """Forget an instance; True when it existed."""
        row = self._rows.pop(checked_saga_id(saga_id), None)
        if row is None:
            return False
        if row[4] is not None:
            self._by_key.pop((row[1], row[4]), None)
        return True

    async def close(self) -> None:
        """Nothing to release (the instances stay)."""


if TYPE_CHECKING:

    def _satisfies_the_protocol(store: InMemorySagaStore) -> SagaStoreProtocol:
        return store
