"""Reporting a storage failure under the error type of the store that met it.

The SQL layers report database problems as ``EventStoreError`` (connection, persistence, load).
A store that is not an event store (idempotency keys, dead letters) re-raises them as its own
error, keeping the message and details, with the original as ``__cause__``. Schema and
configuration problems pass unchanged: they say what to run or set.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from lexigram.contracts.exceptions import InfrastructureError
from lexigram.events.exceptions import EventStoreError

__all__ = ["reported_as"]


@asynccontextmanager
async def reported_as(error_type: type[InfrastructureError]) -> AsyncIterator[None]:
    """Re-raise an ``EventStoreError`` of the block as ``error_type``."""
    try:
        yield
    except EventStoreError as exc:
        if isinstance(exc, error_type):
            raise
        raise error_type(exc.message, details=exc.details) from exc
