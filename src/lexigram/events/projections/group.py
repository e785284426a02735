"""A worker's membership in the consumer group of a partitioned projection.

A projection registered with ``partitions=N`` has its log split in N partitions by stream (each
stream in exactly one, so its events keep their order). Every worker running it (several
``ProjectionManager`` objects, usually one per process) has a ``GroupMember`` per partitioned
projection, and the members share the partitions through leases in a
``PartitionLeaseStoreProtocol``:

* every ``lease_ttl / 3`` seconds a member renews its leases, then claims its fair share of the
  partitions: the N partitions split evenly over the live members (sorted by id, the first
  ``N % members`` take one more), counted from the store;
* a partition it holds runs in its own ``ProjectionRunner`` from the partition's checkpoint
  (``name#iofN``), so a partition's checkpoint only ever covers the contiguous prefix of that
  partition which was applied;
* a lease it lost (not renewed: taken over, or its local deadline passed without a successful
  renewal) stops that partition's runner before anything else is done; a member holding more
  than its share (a member joined) stops the surplus runners, then releases those leases;
  ``stop()`` stops every runner, then releases every lease, so the others take over at once;
* fencing: each runner's ``UnitApplier`` has a guard that checks the lease (owner and token) in
  every checkpoint transaction before it commits. With the leases in the checkpoint store's
  PostgreSQL database the check and the commit are atomic: a worker that paused past its expiry
  and was taken over cannot commit for that partition any more. Transactional projections are
  therefore exactly-once across takeovers. Other projections are at-least-once: their events are
  applied outside any transaction, so a worker that lost its lease may apply some events the new
  owner applies again (duplicates), but its checkpoint saves are refused and nothing is skipped.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
from collections.abc import Awaitable
from typing import Any, TypeVar

from lexigram.contracts.events.leases import PartitionLease, PartitionLeaseStoreProtocol
from lexigram.contracts.events.subscriptions import (
    CheckpointStoreProtocol,
    CheckpointTransactionProtocol,
    EventLogProtocol,
)
from lexigram.events.config import ProjectionsConfig
from lexigram.events.projections.policies import ErrorPolicy
from lexigram.events.projections.registration import RegisteredProjection
from lexigram.events.projections.runner import ProjectionRunner
from lexigram.events.projections.units import Guard, PartitionLeaseLost, UnitApplier, checkpoint_name
from lexigram.events.types import ProjectionState
from lexigram.events.workers import default_worker_id

__all__ = ["GroupMember", "default_worker_id", "fair_share"]

logger = logging.getLogger("lexigram.events.projections")

T = TypeVar("T")

_MINIMUM_WAIT = 0.05
"""Seconds a store call gets at least, even when a lease deadline is closer than that."""


def fair_share(total: int, members: list[str], member: str) -> int:
    """How many of ``total`` partitions ``member`` should hold among ``members`` (sorted ids)."""
    everyone = sorted(set(members) | {member})
    rank = everyone.index(member)
    count = len(everyone)
    return total // count + (1 if rank < total % count else 0)


class GroupMember:
    """This worker in the consumer group of a partitioned projection: leases, one runner per partition."""

    def __init__(
        self,
        registered: RegisteredProjection,
        *,
        total: int,
        checkpoint_store: CheckpointStoreProtocol,
        lease_store: PartitionLeaseStoreProtocol,
        worker_id: str,
        lease_ttl: float,
        config: ProjectionsConfig,
        default_policy: ErrorPolicy,
        turn: asyncio.Lock | None = None,
    ) -> None:
        self.registered = registered
        self.total = total
        self.checkpoint_store = checkpoint_store
        self.lease_store = lease_store
        self.worker_id = worker_id
        self.lease_ttl = lease_ttl
        self.config = config
        self.default_policy = default_policy
        self.log: EventLogProtocol | None = None
        self.runners: dict[int, ProjectionRunner] = {}
        """The runners of the partitions this worker holds, by partition."""
        self.leases: dict[int, PartitionLease] = {}
        """The leases this worker holds, by partition."""
        self.members: list[str] = []
        """The live members seen at the last round."""
        self.share = 0
        """The partitions this worker should hold, computed at the last round."""
        self.error: str | None = None
        """What went wrong in the last round (None when it went well)."""
        self.settled = asyncio.Event()
        """Set after the first round that claimed this worker's share (or all it could)."""
        self._turn = turn
        self._deadlines: dict[int, float] = {}
        self._lost: set[tuple[int, int]] = set()
        self._task: asyncio.Task[None] | None = None
        self._stopping = False
        self._wake = asyncio.Event()

    @property
    def name(self) -> str:
        """The projection's name."""
        return self.registered.name

    @property
    def running(self) -> bool:
        """True while the member takes part in the group."""
        return self._task is not None and not self._task.done()

    # --- lifecycle -------------------------------------------------------------------------------

    async def start(self, log: EventLogProtocol) -> None:
        """Join the group: claim a share of the partitions and keep it (idempotent)."""
        self.log = log
        if self.running:
            return
        self._stopping = False
        self.settled.clear()
        await self.lease_store.connect()
        self._task = asyncio.create_task(self._run(), name=f"projection-group:{self.name}")

    async def stop(self, *, release: bool = True) -> None:
        """Leave the group: stop every runner (saving its checkpoint), then release every lease."""
        self._stopping = True
        task, self._task = self._task, None
        if task is not None:
            task.cancel()
            with contextlib.suppress(asyncio.CancelledError, Exception):
                await task
        held = list(self.runners)
        await asyncio.gather(*(self._stop_runner(partition) for partition in held))
        if release and (held or self.leases or task is not None):
            try:
                await self.lease_store.release(self.name, self.worker_id)
            except Exception:
                logger.exception(
                    "projection %s: releasing the leases of %s failed", self.name, self.worker_id
                )
        self.leases.clear()
        self._deadlines.clear()
        self.settled.clear()

    def wake(self) -> None:
        """Run the next round now instead of after its interval."""
        self._wake.set()

    # --- the rounds ------------------------------------------------------------------------------

    async def _run(self) -> None:
        interval = self.lease_ttl / 3
        while not self._stopping:
            try:
                await self._round()
                self.error = None
            except asyncio.CancelledError:
                raise
            except Exception as exc:
                self.error = f"{type(exc).__name__}: {exc}"
                logger.warning("projection %s: lease round of %s failed: %s", self.name, self.worker_id, exc)
            await self._drop_overdue()
            self._wake.clear()
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._wake.wait(), interval)

    async def _round(self) -> None:
        store, name, ttl = self.lease_store, self.name, self.lease_ttl
        for partition, runner in list(self.runners.items()):
            if runner.lost is not None:  # its guard saw the lease taken over
                self._lost.add((partition, runner.lost.token))
                await self._drop(partition)
        if self.leases:
            sent = time.monotonic()
            renewed = await self._bounded(store.renew(list(self.leases.values()), ttl))
            kept = {lease.partition: lease for lease in renewed}
            for partition in list(self.leases):
                current = kept.get(partition)
                if current is None or current.token != self.leases[partition].token:
                    logger.warning(
                        "projection %s: %s lost partition %s; stopping it", name, self.worker_id, partition
                    )
                    await self._drop(partition)
                else:
                    self.leases[partition] = current
                    self._deadlines[partition] = sent + ttl
        self.members = await self._bounded(store.members(name))
        self.share = share = fair_share(self.total, self.members, self.worker_id)
        if len(self.leases) > share:
            surplus = sorted(self.leases)[share:]
            await asyncio.gather(*(self._stop_runner(partition) for partition in surplus))
            await self._bounded(store.release(name, self.worker_id, surplus))
            for partition in surplus:
                self.leases.pop(partition, None)
                self._deadlines.pop(partition, None)
        sent = time.monotonic()
        held = await self._bounded(store.claim(name, self.total, self.worker_id, ttl, share))
        returned = {lease.partition for lease in held}
        for partition in list(self.leases):
            if partition not in returned:
                await self._drop(partition)
        for lease in held:
            partition = lease.partition
            current = self.leases.get(partition)
            if current is not None and current.token == lease.token and partition in self.runners:
                continue
            if current is not None and current.token != lease.token:
                await self._drop(partition)  # held again under a new token: start afresh
            if (partition, lease.token) in self._lost:
                continue
            self.leases[partition] = lease
            self._deadlines[partition] = sent + ttl
            await self._start_runner(lease)
        self.settled.set()

    async def _bounded(self, call: Awaitable[T]) -> T:
        """Await a store call, but not past the first lease deadline (then the lease counts as lost)."""
        if not self._deadlines:
            return await asyncio.wait_for(call, self.lease_ttl)
        remaining = min(self._deadlines.values()) - time.monotonic()
        return await asyncio.wait_for(call, max(remaining, _MINIMUM_WAIT))

    async def _drop_overdue(self) -> None:
        """Stop the partitions whose lease may have expired: no renewal came back in time."""
        now = time.monotonic()
        for partition, deadline in list(self._deadlines.items()):
            if deadline <= now:
                logger.warning(
                    "projection %s: %s could not renew its lease on partition %s in time; stopping it",
                    self.name,
                    self.worker_id,
                    partition,
                )
                await self._drop(partition)

    # --- runners ---------------------------------------------------------------------------------

    def guard_for(self, lease: PartitionLease) -> Guard:
        """The guard of the runner of ``lease``: refuses to commit once the lease was taken over."""
        store = self.lease_store

        async def guard(transaction: CheckpointTransactionProtocol) -> None:
            if not await store.holds(lease, transaction):
                raise PartitionLeaseLost(lease.projection_name, lease.partition, lease.token)

        return guard

    async def _start_runner(self, lease: PartitionLease) -> None:
        assert self.log is not None
        registered = self.registered
        partition = (lease.partition, self.total)
        applier = UnitApplier(
            registered,
            self.checkpoint_store,
            checkpoint_name(registered.name, registered.version, partition),
            default_policy=self.default_policy,
            checkpoint_interval=self.config.checkpoint_interval,
            guard=self.guard_for(lease),
        )
        await applier.load()
        runner = ProjectionRunner(applier, self.log, self.config, partition=partition, turn=self._turn)
        self.runners[lease.partition] = runner
        await runner.start()
        logger.info(
            "projection %s: %s took partition %s of %s (token %s) at position %s",
            self.name,
            self.worker_id,
            lease.partition,
            self.total,
            lease.token,
            applier.position,
        )

    async def _stop_runner(self, partition: int) -> None:
        runner = self.runners.pop(partition, None)
        if runner is not None:
            await runner.stop()

    async def _drop(self, partition: int) -> None:
        """Stop a partition's runner and forget its lease (lost or given up)."""
        await self._stop_runner(partition)
        self.leases.pop(partition, None)
        self._deadlines.pop(partition, None)

    # --- reporting -------------------------------------------------------------------------------

    def state(self) -> ProjectionState:
        """One state for the partitions this worker holds (FAULTED when one is, LIVE when all are)."""
        states = [runner.applier.state for runner in self.runners.values()]
        if any(state is ProjectionState.FAULTED for state in states):
            return ProjectionState.FAULTED
        if not self.running:
            return ProjectionState.STOPPED
        if any(state is ProjectionState.REBUILDING for state in states):
            return ProjectionState.REBUILDING
        if all(state is ProjectionState.LIVE for state in states) and self.settled.is_set():
            return ProjectionState.LIVE
        return ProjectionState.CATCHING_UP

    def partitions_status(self) -> dict[int, dict[str, Any]]:
        """Each held partition: state, position, lease token and expiry, events applied, error, checkpoint."""
        report: dict[int, dict[str, Any]] = {}
        for partition in sorted(self.runners):
            runner = self.runners[partition]
            applier = runner.applier
            lease = self.leases.get(partition)
            report[partition] = {
                "state": applier.state,
                "position": applier.position,
                "token": None if lease is None else lease.token,
                "expires_at": None if lease is None else lease.expires_at,
                "events_applied": applier.applied,
                "error": applier.error,
                "lag_seconds": runner.lag_seconds(),
                "buffered_batches": runner.buffered_batches,
                "blocked_streams": sorted(applier.blocked),
                "checkpoint": applier.checkpoint_name,
            }
        return report
