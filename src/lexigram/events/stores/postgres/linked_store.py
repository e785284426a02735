"""The lifecycle and schema methods of the PostgreSQL projection stores (checkpoints, leases).

Both stores hold a ``StoreLink`` and report database failures as ``CheckpointStoreError``.
"""

from __future__ import annotations

from lexigram.events.exceptions import CheckpointStoreError
from lexigram.events.stores.postgres.reporting_store import ReportingLinkedStore

__all__ = ["LinkedProjectionStore"]


class LinkedProjectionStore(ReportingLinkedStore):
    """The store lifecycle and schema methods, failing as ``CheckpointStoreError``."""

    failure_type = CheckpointStoreError
