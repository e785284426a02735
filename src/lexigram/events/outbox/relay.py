"""``OutboxRelay``: publishes the events waiting in an event store's outbox.

A pass claims a batch of rows (``OutboxStoreProtocol.claim``), publishes their events in position
order and completes the claim in one call: published rows leave the outbox, a failed event is
retried after an exponential backoff (``retry_backoff`` doubling up to ``max_backoff``) and parked
after ``max_attempts``, and the events behind a failure in its own stream are given back
untried, so per-stream order holds. Other streams keep flowing.

Between passes the relay sleeps until the store signals an append (in this process, and on
PostgreSQL in any process) or ``poll_interval`` passes. ``stop()`` runs one last pass by default,
so events appended before shutdown are published before the event bus drains.

Delivery is at least once: a relay that dies after publishing and before completing leaves its
rows to be claimed again once ``claim_ttl`` has passed. Consumers that must apply an event once
use an inbox keyed by the event id.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
from dataclasses import dataclass, field
from typing import Any

from lexigram.contracts.events.outbox import (
    OutboxFailure,
    OutboxMessage,
    OutboxPublisherProtocol,
    OutboxStoreProtocol,
)
from lexigram.contracts.events.subscriptions import AppendSignalProtocol
from lexigram.contracts.exceptions import ConfigurationError, LexigramError
from lexigram.events.config import OutboxConfig
from lexigram.events.workers import default_worker_id

__all__ = ["OutboxRelay", "RelayPass"]

logger = logging.getLogger("lexigram.events.outbox")

_FINAL_PASS_SECONDS = 10.0
"""How long ``stop()`` keeps publishing what is left before it gives up (the rest stays stored)."""


@dataclass(frozen=True, slots=True)
class RelayPass:
    """What one pass did."""

    claimed: int = 0
    published: int = 0
    failed: int = 0
    parked: int = 0
    released: int = 0


@dataclass(slots=True)
class _Totals:
    passes: int = 0
    published: int = 0
    failed: int = 0
    parked: int = 0
    last_error: str | None = None
    last_pass_at: float | None = field(default=None)


class OutboxRelay:
    """Publishes an outbox's events to a publisher, pass after pass, until stopped.

    Example::

        store = SqliteEventStore(SqliteConfig(database="app.db"), outbox=True)
        relay = OutboxRelay(store.outbox, EventBusPublisher(bus), appends=store.appends)
        await relay.start()
        ...
        await relay.stop()   # one last pass, then the task ends

    Several relays (in several processes) may serve one outbox: claims never overlap, so no event
    is published by two relays at once.
    """

    def __init__(
        self,
        outbox: OutboxStoreProtocol,
        publisher: OutboxPublisherProtocol,
        *,
        config: OutboxConfig | None = None,
        poll_interval: float = 1.0,
        appends: AppendSignalProtocol | None = None,
    ) -> None:
        if config is not None and not isinstance(config, OutboxConfig):
            raise ConfigurationError(f"config must be an OutboxConfig, got {type(config).__name__}")
        number = isinstance(poll_interval, int | float) and not isinstance(poll_interval, bool)
        if not number or poll_interval <= 0:
            raise ConfigurationError(
                f"poll_interval must be a positive number of seconds, got {poll_interval!r}"
            )
        self.outbox = outbox
        """The outbox this relay publishes from."""
        self.publisher = publisher
        """Where events are published."""
        self.config = config if config is not None else OutboxConfig()
        """Batch size, retries, claims."""
        self.poll_interval = float(poll_interval)
        """Seconds between passes when no append wakes the relay."""
        self.worker_id = self.config.worker_id or default_worker_id()
        """This relay's name in the claims it takes."""
        self._appends = appends
        self._task: asyncio.Task[None] | None = None
        self._stopping = asyncio.Event()
        self._totals = _Totals()

    @property
    def running(self) -> bool:
        """True while the relay's task runs."""
        return self._task is not None and not self._task.done()

    async def start(self) -> None:
        """Start publishing in a background task (idempotent)."""
        if self.running:
            return
        self._stopping = asyncio.Event()
        self._task = asyncio.create_task(self._run(), name=f"outbox-relay-{self.worker_id}")

    async def stop(self, *, final_pass: bool = True) -> None:
        """Stop the task; with ``final_pass``, publish what is due first (for up to 10 s). Idempotent."""
        task, self._task = self._task, None
        if task is None:
            return
        self._stopping.set()
        try:
            await task
        except asyncio.CancelledError:
            if not task.cancelled():
                raise
        if final_pass:
            await self.drain(max_seconds=_FINAL_PASS_SECONDS)

    async def drain(self, max_seconds: float | None = None) -> int:
        """Run passes until nothing is due (or ``max_seconds`` pass); return the events published.

        Rows waiting for a retry or parked are not due, so ``drain`` does not wait for them.
        """
        deadline = None if max_seconds is None else time.monotonic() + max_seconds
        published = 0
        while deadline is None or time.monotonic() < deadline:
            try:
                result = await self.run_once()
            except LexigramError as exc:
                logger.error("outbox relay %s: final pass failed: %s", self.worker_id, exc)
                break
            published += result.published
            if result.claimed == 0 or result.published == 0:
                break
        return published

    async def run_once(self) -> RelayPass:
        """Claim one batch, publish it and complete the claim; return what happened."""
        config = self.config
        messages = await self.outbox.claim(self.worker_id, config.batch_size, config.claim_ttl)
        if not messages:
            return RelayPass()
        published, failed, released = await self._publish(messages)
        if published:
            try:
                await asyncio.wait_for(self.publisher.flush(), config.publish_timeout)
            except Exception as exc:  # not confirmed: publish them again later (at least once)
                logger.warning(
                    "outbox relay %s: the publisher did not confirm %d events (%s: %s); they will be "
                    "published again",
                    self.worker_id,
                    len(published),
                    type(exc).__name__,
                    exc,
                )
                released = [*published, *released]
                published = []
        try:
            await self.outbox.complete(self.worker_id, published, failed, released)
        except BaseException:
            logger.warning(
                "outbox relay %s: could not complete a claim of %d rows; they will be published "
                "again once the claim expires",
                self.worker_id,
                len(messages),
            )
            raise
        parked = sum(1 for failure in failed if failure.retry_in is None)
        totals = self._totals
        totals.passes += 1
        totals.published += len(published)
        totals.failed += len(failed)
        totals.parked += parked
        totals.last_pass_at = time.time()
        return RelayPass(len(messages), len(published), len(failed), parked, len(released))

    async def _publish(
        self, messages: list[OutboxMessage]
    ) -> tuple[list[int], list[OutboxFailure], list[int]]:
        published: list[int] = []
        failed: list[OutboxFailure] = []
        released: list[int] = []
        blocked: set[str] = set()
        publish, timeout = self.publisher.publish, self.config.publish_timeout
        for message in messages:
            if message.stream_id in blocked:
                released.append(message.position)
                continue
            try:
                await asyncio.wait_for(publish(message), timeout)
            except Exception as exc:  # any publisher failure is retried, then parked
                blocked.add(message.stream_id)
                failed.append(self._failure(message, exc))
            else:
                published.append(message.position)
        return published, failed, released

    def _failure(self, message: OutboxMessage, exc: Exception) -> OutboxFailure:
        config = self.config
        error = f"{type(exc).__name__}: {exc}" if str(exc) else type(exc).__name__
        self._totals.last_error = error
        if message.attempts >= config.max_attempts:
            logger.error(
                "outbox relay %s: parked %s at position %d of stream %r after %d attempts: %s",
                self.worker_id,
                type(message.event).__name__,
                message.position,
                message.stream_id,
                message.attempts,
                error,
            )
            return OutboxFailure(message.position, error, None)
        delay = min(config.max_backoff, config.retry_backoff * 2 ** (message.attempts - 1))
        logger.warning(
            "outbox relay %s: publishing %s at position %d failed (attempt %d of %d, retry in %.2fs): %s",
            self.worker_id,
            type(message.event).__name__,
            message.position,
            message.attempts,
            config.max_attempts,
            delay,
            error,
        )
        return OutboxFailure(message.position, error, delay)

    async def _run(self) -> None:
        failures = 0
        while not self._stopping.is_set():
            generation = self._appends.generation if self._appends is not None else 0
            try:
                result = await self.run_once()
            except Exception as exc:  # the relay outlives any failure: back off and try again
                failures += 1
                self._totals.last_error = f"{type(exc).__name__}: {exc}"
                if isinstance(exc, LexigramError):
                    logger.warning("outbox relay %s: pass failed, retrying: %s", self.worker_id, exc)
                else:
                    logger.exception("outbox relay %s: pass failed, retrying", self.worker_id)
                await self._sleep(min(self.poll_interval, 0.05 * 2 ** min(failures, 6)))
                continue
            failures = 0
            if result.claimed >= self.config.batch_size:
                await asyncio.sleep(0)  # a full batch: more may be due at once
                continue
            await self._wait(generation)

    async def _wait(self, generation: int) -> None:
        stopping = asyncio.ensure_future(self._stopping.wait())
        waiters: list[asyncio.Future[Any]] = [stopping]
        if self._appends is not None:
            waiters.append(asyncio.ensure_future(self._appends.wait(generation, self.poll_interval)))
        try:
            await asyncio.wait(waiters, timeout=self.poll_interval, return_when=asyncio.FIRST_COMPLETED)
        finally:
            for waiter in waiters:
                waiter.cancel()
            for waiter in waiters:
                with contextlib.suppress(asyncio.CancelledError):
                    await waiter

    async def _sleep(self, seconds: float) -> None:
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(self._stopping.wait(), seconds)

    def health(self) -> dict[str, Any]:
        """The relay's state and totals since it was built."""
        totals = self._totals
        return {
            "status": "running" if self.running else "stopped",
            "worker_id": self.worker_id,
            "passes": totals.passes,
            "published": totals.published,
            "failed": totals.failed,
            "parked": totals.parked,
            "last_error": totals.last_error,
        }
