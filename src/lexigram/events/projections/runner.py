"""A projection's subscription: catch up from the checkpoint in batches, then follow the log live.

Catch-up and live delivery are the same loop reading by position after the last one read, so
the switch has no gap and no duplicate. A reader task reads ahead at most
``read_ahead_batches`` batches into a bounded queue: a slow projection slows its own reading and
never grows memory. When a read comes back short the projection is caught up (``LIVE``) and the
reader waits for the store's append signal, or ``poll_interval`` seconds, before reading again.

A log whose reads run on the event loop (``reads_on_the_loop``: SQLite, which fetches and
decodes on the loop thread) is read only while no batch waits or is being applied. Overlapping
them buys nothing there, and costs a lot: the read-model statements run on the store's worker
thread, which then waits for the GIL while the loop decodes (W7 on SQLite: +18 % to +49 %).
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from datetime import datetime
from typing import Any

from lexigram.contracts.events.records import EventEnvelope
from lexigram.contracts.events.subscriptions import EventLogProtocol
from lexigram.contracts.messages.ids import utc_now
from lexigram.events.config import ProjectionsConfig
from lexigram.events.projections.units import PartitionLeaseLost, ProjectionFaulted, UnitApplier, replaying
from lexigram.events.types import ProjectionState

__all__ = ["ProjectionRunner"]

logger = logging.getLogger("lexigram.events.projections")

_CAUGHT_UP = object()
"""Queued after a short read: everything up to the log's head so far is in the queue."""


class ProjectionRunner:
    """Runs one projection (or one partition of it) against the global log."""

    def __init__(
        self,
        applier: UnitApplier,
        log: EventLogProtocol,
        config: ProjectionsConfig,
        *,
        partition: tuple[int, int] | None = None,
        turn: asyncio.Lock | None = None,
    ) -> None:
        self.applier = applier
        self.log = log
        self.config = config
        self.partition = partition
        self.lock = asyncio.Lock()
        """Held while a batch is applied; parked-event retries and rebuilds take it too."""
        self._turn = turn
        self._reader: asyncio.Task[None] | None = None
        self._consumer: asyncio.Task[None] | None = None
        self._queue: asyncio.Queue[Any] | None = None
        self._stopping = False
        self._busy = False
        self.live_event = asyncio.Event()
        self.lost: PartitionLeaseLost | None = None
        """Set when the partition's lease was taken over: the runner stopped without committing."""

    @property
    def running(self) -> bool:
        """True while the subscription tasks run."""
        return self._consumer is not None and not self._consumer.done()

    @property
    def buffered_batches(self) -> int:
        """Batches read ahead and not yet applied."""
        return 0 if self._queue is None else self._queue.qsize()

    def lag_seconds(self) -> float:
        """Seconds between now and the last applied event (0 when live with nothing buffered)."""
        if self.applier.state is ProjectionState.LIVE and not self.buffered_batches:
            return 0.0
        last = self.applier.last_event_at
        if not isinstance(last, datetime):
            return 0.0
        try:
            return max(0.0, (utc_now() - last).total_seconds())
        except TypeError:  # a naive timestamp
            return 0.0

    async def start(self) -> None:
        """Start following the log from the checkpoint (a FAULTED projection stays stopped)."""
        if self.running or self.applier.state is ProjectionState.FAULTED:
            return
        self._stopping = False
        self.live_event.clear()
        building = self.applier.building
        self.applier.state = ProjectionState.REBUILDING if building else ProjectionState.CATCHING_UP
        self._queue = asyncio.Queue(maxsize=self.config.read_ahead_batches)
        name = self.applier.checkpoint_name
        self._reader = asyncio.create_task(self._read(self._queue), name=f"projection-reader:{name}")
        self._consumer = asyncio.create_task(self._consume(self._queue), name=f"projection:{name}")

    async def stop(self) -> None:
        """Stop after the batch being applied; save the checkpoint."""
        self._stopping = True
        reader, consumer = self._reader, self._consumer
        self._reader = self._consumer = None
        if reader is not None:
            reader.cancel()
            with contextlib.suppress(asyncio.CancelledError, Exception):
                await reader
        if consumer is not None:
            if not self._busy:
                consumer.cancel()
            with contextlib.suppress(asyncio.CancelledError, Exception):
                await consumer
        self._queue = None
        if self.applier.state is not ProjectionState.FAULTED:
            self.applier.state = ProjectionState.STOPPED
        with contextlib.suppress(Exception):
            await self.applier.flush()

    async def _read(self, queue: asyncio.Queue[Any]) -> None:
        log, size = self.log, self.config.batch_size
        partition, total = self.partition if self.partition is not None else (None, None)
        after = self.applier.position
        signalled_caught_up = False
        failures = 0
        serial = bool(getattr(log, "reads_on_the_loop", False))
        while not self._stopping:
            generation = log.appends.generation
            if serial:  # read (and decode) only while no batch waits or is being applied
                await queue.join()
            try:
                batch: list[EventEnvelope] = await log.read_envelopes(
                    after, size, partition=partition, total_partitions=total
                )
            except Exception:
                failures += 1
                logger.exception("projection %s: reading the log failed", self.applier.checkpoint_name)
                await asyncio.sleep(min(5.0, 0.1 * 2 ** min(failures, 6)))
                continue
            failures = 0
            if batch:
                await queue.put(batch)
                after = batch[-1].position or after
                signalled_caught_up = False
            if len(batch) < size:
                if not signalled_caught_up:
                    await queue.put(_CAUGHT_UP)
                    signalled_caught_up = True
                await log.appends.wait(generation, self.config.poll_interval)

    async def _consume(self, queue: asyncio.Queue[Any]) -> None:
        applier = self.applier
        size = self.config.batch_size
        try:
            while not self._stopping:
                item = await queue.get()
                if item is _CAUGHT_UP:
                    await self._caught_up()
                    queue.task_done()
                    continue
                if len(item) >= size and applier.state is ProjectionState.LIVE:
                    applier.state = ProjectionState.CATCHING_UP
                    self.live_event.clear()
                self._busy = True
                try:
                    async with self.lock:
                        if self._turn is None:
                            await self._apply(item)
                        else:
                            async with self._turn:
                                await self._apply(item)
                finally:
                    self._busy = False
                    queue.task_done()
        except ProjectionFaulted as exc:
            logger.error("%s", exc)
            self._halt()
        except PartitionLeaseLost as exc:
            logger.warning("%s", exc)
            self.lost = exc
            self._halt()
        except Exception as exc:
            logger.exception("projection %s stopped", applier.checkpoint_name)
            applier.state = ProjectionState.FAULTED
            applier.error = f"{type(exc).__name__}: {exc}"
            self._halt()
            with contextlib.suppress(Exception):
                await applier.save()

    def _halt(self) -> None:
        self._stopping = True
        if self._reader is not None:
            self._reader.cancel()

    async def _apply(self, batch: list[EventEnvelope]) -> None:
        if self.applier.building:
            with replaying():
                await self.applier.apply(batch)
        else:
            await self.applier.apply(batch)

    async def _caught_up(self) -> None:
        applier = self.applier
        async with self.lock:
            if self.applier.building:
                await self._activate()
            if applier.state is not ProjectionState.FAULTED:
                applier.state = ProjectionState.LIVE
            await applier.flush()
        self.live_event.set()

    async def _activate(self) -> None:
        """A new version has caught up: switch readers to it, atomically with its checkpoint."""
        applier = self.applier
        registered = applier.registered
        activate = getattr(registered.target, "activate", None)
        applier.state = ProjectionState.LIVE
        applier.building = False
        try:
            async with applier.checkpoints.transaction() as transaction:
                if callable(activate):
                    result = activate(transaction.session) if registered.transactional else activate()
                    if asyncio.iscoroutine(result):
                        await result
                await transaction.save(applier.checkpoint())
        except BaseException:
            applier.building = True
            applier.state = ProjectionState.REBUILDING
            raise
        applier.saved_position = applier.position
        logger.info("projection %s: version %s is live", registered.name, registered.version)
