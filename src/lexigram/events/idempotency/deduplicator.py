"""``Deduplicator``: runs a piece of work at most once per idempotency key, on any store.

::

    deduplicator = Deduplicator(store)
    receipt = await deduplicator.run("command:pay-42", fingerprint, lambda: charge(card, 42))

The first caller claims the key, runs the work and records its result; every later caller with
the key gets that result without running anything. A caller arriving while the first one runs
waits for it (polling the store, so this works across processes), for at most ``wait_timeout``
seconds, then raises ``IdempotencyInProgressError``.

Failures are not recorded: when the work raises (or is cancelled) or returns an ``Err``, the claim
is released and the key is free, so a retry runs the work again. A result that cannot be recorded
(see ``result_codec``) releases the claim too and raises ``IdempotencyResultError``. The same key
with another fingerprint raises ``IdempotencyConflictError``.

A claim is a lease of ``lease_seconds``: if the process running the work dies, the key is free
again once the lease runs out. Work that runs longer than its lease may run twice, so keep the
lease above the work's longest run (the command bus uses its own ``timeout_seconds`` when set).
"""

from __future__ import annotations

import asyncio
import logging
import time
import uuid
from collections.abc import Awaitable, Callable
from typing import Any, TypeVar

from lexigram.contracts.core.result import Err
from lexigram.contracts.events.idempotency import (
    ClaimStatus,
    IdempotencyRecord,
    IdempotencyStoreProtocol,
    RecordStatus,
)
from lexigram.events.exceptions import IdempotencyConflictError, IdempotencyInProgressError
from lexigram.events.idempotency.checks import checked_key, checked_seconds, checked_ttl
from lexigram.events.idempotency.result_codec import decode_result, encode_result

__all__ = ["DEFAULT_LEASE_SECONDS", "DEFAULT_WAIT_TIMEOUT", "Deduplicator"]

T = TypeVar("T")

logger = logging.getLogger("lexigram.events.idempotency")

DEFAULT_WAIT_TIMEOUT = 30.0
"""Seconds a caller waits for a concurrent run of the same key before giving up."""

DEFAULT_LEASE_SECONDS = 60.0
"""Seconds a claim holds its key when nobody completes or releases it (a crashed process)."""

_FIRST_POLL = 0.005
_MAX_POLL = 0.1


class Deduplicator:
    """At-most-once execution of work per key, with the result shared with every later caller."""

    def __init__(
        self,
        store: IdempotencyStoreProtocol,
        *,
        wait_timeout: float = DEFAULT_WAIT_TIMEOUT,
        lease_seconds: float = DEFAULT_LEASE_SECONDS,
    ) -> None:
        if not callable(getattr(store, "claim", None)):
            raise TypeError(
                f"store must be an idempotency store (with claim/complete/release), got {store!r}"
            )
        self.store = store
        self.wait_timeout = checked_seconds(wait_timeout, "wait_timeout")
        self.lease_seconds = checked_seconds(lease_seconds, "lease_seconds")

    async def run(
        self,
        key: str,
        fingerprint: str,
        work: Callable[[], Awaitable[T]],
        *,
        ttl: float | None,
        describe: str = "work",
        lease_seconds: float | None = None,
    ) -> T:
        """Run ``work`` unless ``key`` already has a result; return the result either way.

        ``ttl`` is how long the result stays recorded (None: for ever); ``describe`` names the
        work in a conflict error (e.g. the command class).
        """
        checked_key(key)
        checked_ttl(ttl)
        lease = (
            self.lease_seconds if lease_seconds is None else checked_seconds(lease_seconds, "lease_seconds")
        )
        token = uuid.uuid4().hex
        started = time.monotonic()
        poll = _FIRST_POLL
        while True:
            outcome = await self.store.claim(key, fingerprint, token, lease)
            record: IdempotencyRecord | None = outcome.record
            if outcome.status is ClaimStatus.CLAIMED:
                return await self._run_claimed(key, token, work, ttl)
            while record is not None:  # someone holds the key: read (cheaper than claiming) until it is done
                if record.fingerprint != fingerprint:
                    raise IdempotencyConflictError(key, describe)
                if record.status is RecordStatus.COMPLETED and record.result is not None:
                    result: T = decode_result(record.result)
                    return result
                waited = time.monotonic() - started
                if waited >= self.wait_timeout:
                    raise IdempotencyInProgressError(key, waited)
                await asyncio.sleep(min(poll, self.wait_timeout - waited))
                poll = min(poll * 2, _MAX_POLL)
                record = await self.store.get(key)
            # the holder failed (released) or its lease ran out: try to claim the key again

    async def _run_claimed(
        self, key: str, token: str, work: Callable[[], Awaitable[T]], ttl: float | None
    ) -> T:
        try:
            result = await work()
            recorded = None if isinstance(result, Err) else encode_result(result)
        except BaseException:
            await self._release(key, token)
            raise
        if recorded is None:
            await self._release(key, token)
            return result
        if not await asyncio.shield(self.store.complete(key, token, recorded, ttl)):
            logger.warning(
                "the claim on idempotency key %r ran out before its work finished and was taken over; "
                "the work may have run twice (raise lease_seconds above the work's longest run)",
                key,
            )
        return result

    async def _release(self, key: str, token: str) -> None:
        """Free the key after a failure; a release that fails is logged (the lease frees it later)."""
        try:
            await asyncio.shield(self.store.release(key, token))
        except Exception:  # the store boundary: the original failure matters more
            logger.exception(
                "could not release the claim on idempotency key %r; it frees when its lease ends", key
            )

    def describe(self) -> dict[str, Any]:
        """The settings, for health reports."""
        return {
            "store": type(self.store).__name__,
            "wait_timeout": self.wait_timeout,
            "lease_seconds": self.lease_seconds,
        }
