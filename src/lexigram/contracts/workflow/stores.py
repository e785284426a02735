"""``SagaStoreProtocol``: where saga instances persist between their steps and across restarts."""

from __future__ import annotations

from typing import Protocol

from lexigram.contracts.workflow.records import SagaRecord

__all__ = ["SagaStoreProtocol"]


class SagaStoreProtocol(Protocol):
    """Durable saga instances with optimistic concurrency on every write.

    Every method checks its arguments first and raises the events ``SagaValidationError`` for a
    bad one; database failures raise ``SagaStoreError``. Records come back as fresh copies, with
    times in UTC.
    """

    async def create(self, record: SagaRecord) -> SagaRecord:
        """Store a new instance as version 1 and return it.

        Raises ``SagaConcurrencyError`` when the ``saga_id`` exists, or when another instance of
        the same ``saga_type`` has the same ``correlation_key``.
        """
        ...

    async def save(self, record: SagaRecord, expected_version: int) -> SagaRecord:
        """Replace the instance if it is still at ``expected_version``; return it at the next version.

        Raises ``SagaConcurrencyError`` when someone saved it since (the caller lost the race and
        must reload), ``SagaNotFoundError`` when it does not exist.
        """
        ...

    async def get(self, saga_id: str) -> SagaRecord | None:
        """The instance with this id, or None."""
        ...

    async def find(self, saga_type: str, correlation_key: str) -> SagaRecord | None:
        """The instance of ``saga_type`` with this correlation key, or None."""
        ...

    async def list_incomplete(self) -> list[SagaRecord]:
        """Every instance not in a final state, oldest first."""
        ...

    async def delete(self, saga_id: str) -> bool:
        """Forget an instance; True when it existed."""
        ...

    async def close(self) -> None:
        """Release the store's connection (a later call reconnects where the store supports it)."""
        ...
