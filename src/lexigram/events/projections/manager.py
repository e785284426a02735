"""``ProjectionManager``: registers projections, runs their subscriptions, rebuilds and reports them.

A projection registered with ``partitions=N`` is run by a consumer group instead of one
subscription: see ``lexigram.events.projections.group``.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Any

from lexigram.contracts.events.leases import PartitionLeaseStoreProtocol
from lexigram.contracts.events.records import EventEnvelope, ParkedEvent
from lexigram.contracts.events.subscriptions import CheckpointStoreProtocol, EventLogProtocol
from lexigram.events.config import ProjectionsConfig
from lexigram.events.exceptions import ProjectionBuildError, ProjectionNotFoundError
from lexigram.events.projections.group import GroupMember, default_worker_id
from lexigram.events.projections.policies import ErrorPolicy
from lexigram.events.projections.registration import RegisteredProjection
from lexigram.events.projections.runner import ProjectionRunner
from lexigram.events.projections.units import (
    ProjectionFaulted,
    UnitApplier,
    checkpoint_name,
    replaying,
)
from lexigram.events.stores.memory.checkpoint_store import InMemoryCheckpointStore
from lexigram.events.stores.memory.lease_store import InMemoryPartitionLeaseStore
from lexigram.events.types import ProjectionState

__all__ = ["ProjectionManager", "RebuildProgress", "checkpoint_name"]


@dataclass(frozen=True, slots=True)
class RebuildProgress:
    """Where a rebuild stands, reported after every batch."""

    name: str
    events_read: int
    events_applied: int
    position: int


ProgressCallback = Callable[[RebuildProgress], Awaitable[None] | None]


class ProjectionManager:
    """Runs read-model projections against the event store's global log.

    Register projections, then either push events with ``process`` or ``start()`` a subscription
    per projection that catches up from its checkpoint and follows the log live (the
    application starts and stops them with its lifecycle). ``rebuild`` replays history;
    a projection with a higher ``version`` builds beside the previous one and is activated
    once it has caught up.

    Scaling out: ``register(projection, partitions=N)`` splits the projection's log in N
    partitions by stream, and every manager running it (one per worker process, each with its
    own ``worker_id``) joins its consumer group: the managers share the partitions through
    leases in ``lease_store`` (give them all a ``PostgresPartitionLeaseStore`` on the checkpoint
    store's database; the default in-memory store only shares among managers given the same
    one), each running one subscription per partition it holds. Leases last ``lease_ttl``
    seconds and are renewed every third of it; a worker that dies is replaced after at most
    ``lease_ttl`` seconds, one that stops hands over at once.
    """

    def __init__(
        self,
        event_store: Any = None,
        checkpoint_store: CheckpointStoreProtocol | None = None,
        *,
        config: ProjectionsConfig | None = None,
        default_error_policy: ErrorPolicy | None = None,
        worker_id: str | None = None,
        lease_store: PartitionLeaseStoreProtocol | None = None,
        lease_ttl: float = 10.0,
    ) -> None:
        if config is not None and not isinstance(config, ProjectionsConfig):
            raise TypeError(f"config must be a ProjectionsConfig, got {type(config).__name__}")
        if worker_id is not None and (not isinstance(worker_id, str) or not worker_id.strip()):
            raise ValueError(f"worker_id must be a non-empty str, got {worker_id!r}")
        if (
            isinstance(lease_ttl, bool)
            or not isinstance(lease_ttl, int | float)
            or not 0 < lease_ttl < 86_400
        ):
            raise ValueError(
                f"lease_ttl must be a number of seconds above 0 (and below a day), got {lease_ttl!r}"
            )
        self.event_store = event_store
        self.checkpoint_store: CheckpointStoreProtocol = (
            checkpoint_store if checkpoint_store is not None else InMemoryCheckpointStore()
        )
        self.config = config if config is not None else ProjectionsConfig()
        self.default_error_policy = (
            default_error_policy if default_error_policy is not None else ErrorPolicy.stop()
        )
        self.worker_id = worker_id if worker_id is not None else default_worker_id()
        """This worker's id in the consumer groups of partitioned projections."""
        self.lease_store: PartitionLeaseStoreProtocol = (
            lease_store if lease_store is not None else InMemoryPartitionLeaseStore()
        )
        self.lease_ttl = float(lease_ttl)
        self._runners: dict[str, ProjectionRunner] = {}
        self._groups: dict[str, GroupMember] = {}
        self._order: list[str] = []
        self._leases_used = False
        self._loaded: set[str] = set()
        self._connected = False
        self._started = False
        self._turn = None if self.config.enable_parallel_projections else asyncio.Lock()
        self._progress: dict[str, RebuildProgress] = {}

    # --- registration ---------------------------------------------------------------------------

    def register(
        self,
        projection: Any,
        *,
        name: str | None = None,
        error_policy: ErrorPolicy | None = None,
        partitions: int | None = None,
    ) -> str:
        """Register a projection; return its name. A duplicate name raises ``ValueError``.

        With ``partitions=N`` (or a ``partitions`` attribute on the projection) it runs
        partitioned: its log is split in N partitions by stream and this manager takes part in
        its consumer group (see the class docstring).
        Every worker of the group must register it with the same N. The projection object then
        receives the events of several partitions concurrently (its streams never interleave
        out of order), and ``rebuild``, ``process`` and a version's ``activate()`` are not
        available for it.
        """
        registered = RegisteredProjection(projection, name=name, error_policy=error_policy)
        if partitions is None:
            partitions = getattr(projection, "partitions", None)
        if registered.name in self._runners or registered.name in self._groups:
            raise ValueError(f"a projection named {registered.name!r} is already registered")
        if partitions is not None:
            if (
                isinstance(partitions, bool)
                or not isinstance(partitions, int)
                or not 1 <= partitions <= 1 << 20
            ):
                raise ValueError(f"partitions must be an int from 1 to {1 << 20}, got {partitions!r}")
            if callable(getattr(projection, "activate", None)):
                raise ValueError(
                    f"projection {registered.name!r} has activate(): a partitioned projection cannot be "
                    "activated once for all its partitions; register it without partitions"
                )
            self._groups[registered.name] = GroupMember(
                registered,
                total=partitions,
                checkpoint_store=self.checkpoint_store,
                lease_store=self.lease_store,
                worker_id=self.worker_id,
                lease_ttl=self.lease_ttl,
                config=self.config,
                default_policy=self.default_error_policy,
                turn=self._turn,
            )
            self._order.append(registered.name)
            return registered.name
        applier = UnitApplier(
            registered,
            self.checkpoint_store,
            checkpoint_name(registered.name, registered.version),
            default_policy=self.default_error_policy,
            checkpoint_interval=self.config.checkpoint_interval,
        )
        self._runners[registered.name] = ProjectionRunner(
            applier, self._log_or_none(), self.config, turn=self._turn
        )
        self._order.append(registered.name)
        return registered.name

    async def unregister(self, name: str) -> None:
        """Stop and forget a projection (its checkpoints stay; a partitioned one releases its leases)."""
        group = self._groups.get(name)
        if group is not None:
            await group.stop()
            del self._groups[name]
        else:
            runner = self._runner(name)
            await runner.stop()
            del self._runners[name]
            self._loaded.discard(name)
        self._order.remove(name)

    @property
    def names(self) -> list[str]:
        """The registered projection names, in registration order."""
        return list(self._order)

    def get(self, name: str) -> Any:
        """The projection object registered under ``name``."""
        group = self._groups.get(name)
        if group is not None:
            return group.registered.target
        return self._runner(name).applier.registered.target

    def partitions(self, name: str) -> int | None:
        """How many partitions the projection is split in (None when it is not partitioned)."""
        group = self._groups.get(name)
        if group is not None:
            return group.total
        self._runner(name)
        return None

    # --- lifecycle -------------------------------------------------------------------------------

    async def start(self) -> None:
        """Start a subscription for every registered projection (idempotent)."""
        log = self._require_log("start projections")
        for name, runner in self._runners.items():
            runner.log = log
            await self._load(name)
            await runner.start()
        for group in self._groups.values():
            await self._start_group(group, log)
        self._started = True

    async def stop(self) -> None:
        """Stop every subscription after its current batch and save the checkpoints (idempotent).

        Partitioned projections then release their leases, so other workers take over at once.
        """
        self._started = False
        await asyncio.gather(
            *(runner.stop() for runner in self._runners.values()),
            *(group.stop() for group in self._groups.values()),
        )

    async def close(self) -> None:
        """Stop the projections and close the checkpoint store (and the lease store, when used)."""
        await self.stop()
        if self._connected:
            self._connected = False
            await self.checkpoint_store.close()
        if self._leases_used:
            self._leases_used = False
            await self.lease_store.close()

    async def start_projection(self, name: str) -> None:
        """Start one projection's subscription (join its consumer group, when partitioned)."""
        group = self._groups.get(name)
        if group is not None:
            await self._start_group(group, self._require_log("start a projection"))
            return
        runner = self._runner(name)
        runner.log = self._require_log("start a projection")
        await self._load(name)
        await runner.start()

    async def stop_projection(self, name: str) -> None:
        """Stop one projection's subscription (leave its consumer group, when partitioned)."""
        group = self._groups.get(name)
        if group is not None:
            await group.stop()
            return
        await self._runner(name).stop()

    async def _start_group(self, group: GroupMember, log: EventLogProtocol) -> None:
        await self._connect()
        self._leases_used = True
        await group.start(log)

    async def wait_until_live(self, name: str | None = None, max_wait: float | None = 10.0) -> None:
        """Wait until the projection (every started one when ``name`` is None) has caught up.

        For a partitioned projection: until this worker has claimed its share of the partitions
        and every partition it holds has caught up. Raises ``ProjectionBuildError`` when one is
        FAULTED and ``TimeoutError`` after ``max_wait`` seconds.
        """
        groups = self._named_groups(name)
        if name is not None and groups:
            runners: list[ProjectionRunner] = []
        else:
            runners = (
                [self._runner(name)] if name is not None else [r for r in self._runners.values() if r.running]
            )

        async def live(runner: ProjectionRunner) -> None:
            while not runner.live_event.is_set():
                if runner.applier.state is ProjectionState.FAULTED:
                    raise ProjectionBuildError(
                        f"projection {runner.applier.registered.name!r} is FAULTED: {runner.applier.error}"
                    )
                with contextlib.suppress(TimeoutError):
                    await asyncio.wait_for(runner.live_event.wait(), 0.05)

        async def group_live(group: GroupMember) -> None:
            while True:
                if group.state() is ProjectionState.FAULTED:
                    raise ProjectionBuildError(f"projection {group.name!r} has a FAULTED partition")
                if group.settled.is_set() and all(r.live_event.is_set() for r in group.runners.values()):
                    return
                await asyncio.sleep(0.02)

        async with asyncio.timeout(max_wait):
            await asyncio.gather(*(live(runner) for runner in runners), *(group_live(g) for g in groups))

    async def wait_for_position(
        self, position: int, name: str | None = None, max_wait: float | None = 10.0
    ) -> None:
        """Wait until the projection (every started one) has handled the log up to ``position``.

        For a partitioned projection: until every partition this worker holds has handled its
        own events up to ``position`` (a partition's position only moves on its own events).
        """
        groups = self._named_groups(name)
        targets: list[tuple[ProjectionRunner, int]] = []
        if name is None or not groups:
            runners = (
                [self._runner(name)] if name is not None else [r for r in self._runners.values() if r.running]
            )
            targets = [(runner, position) for runner in runners]

        async def reached(runner: ProjectionRunner, target: int) -> None:
            while runner.applier.position < target:
                if runner.applier.state is ProjectionState.FAULTED:
                    raise ProjectionBuildError(
                        f"projection {runner.applier.registered.name!r} is FAULTED: {runner.applier.error}"
                    )
                await asyncio.sleep(0.01)

        async with asyncio.timeout(max_wait):
            for group in groups:
                await group.settled.wait()
                for runner in list(group.runners.values()):
                    targets.append((runner, await self._partition_target(runner, position)))
            await asyncio.gather(*(reached(runner, target) for runner, target in targets))

    async def _partition_target(self, runner: ProjectionRunner, position: int) -> int:
        """The position of the last event at or before ``position`` in the runner's partition."""
        assert runner.partition is not None
        index, total = runner.partition
        log = self._require_log("wait for a position")
        target = after = runner.applier.position
        size = self.config.batch_size
        while after < position:
            batch = await log.read_envelopes(after, size, partition=index, total_partitions=total)
            for envelope in batch:
                if (envelope.position or 0) > position:
                    return target
                target = envelope.position or target
            if len(batch) < size:
                break
            after = batch[-1].position or after
        return target

    # --- push mode -------------------------------------------------------------------------------

    async def process(self, event: Any, position: int | None = None) -> list[str]:
        """Apply one event to every projection that has not seen its position; return who applied it.

        The position defaults to ``event.sequence_number``. Failing projections become FAULTED and
        ``ProjectionBuildError`` names them after the others ran.
        """
        at = position if position is not None else getattr(event, "sequence_number", None)
        if not isinstance(at, int) or isinstance(at, bool) or at < 1:
            raise ValueError(
                "process() needs the event's global position: pass position=... or an event read "
                f"from a store (sequence_number set); got {at!r}"
            )
        stream = getattr(event, "aggregate_id", None)
        version = getattr(event, "version", None)
        envelope = EventEnvelope(event, "" if stream is None else str(stream), version or 0, at)
        applied: list[str] = []
        failed: list[str] = []

        async def one(name: str, runner: ProjectionRunner) -> None:
            await self._load(name)
            applier = runner.applier
            if applier.state is ProjectionState.FAULTED or at <= applier.position:
                return
            async with runner.lock:
                try:
                    if await applier.apply([envelope]):
                        applied.append(name)
                    await applier.flush()
                except ProjectionFaulted:
                    failed.append(name)

        if self.config.enable_parallel_projections:
            await asyncio.gather(*(one(name, runner) for name, runner in self._runners.items()))
        else:
            for name, runner in self._runners.items():
                await one(name, runner)
        if failed:
            raise ProjectionBuildError(
                f"projections failed on the event at position {at}: {', '.join(failed)}"
            )
        return [name for name in self._runners if name in applied]

    # --- rebuilding ------------------------------------------------------------------------------

    async def rebuild(
        self, name: str, from_position: int = 0, *, progress: ProgressCallback | None = None
    ) -> int:
        """Replay the log into the projection from ``from_position``; return the events applied.

        From 0 the projection is ``reset()`` first and its parked events are dropped. The
        subscription (when running) pauses meanwhile and resumes from the new checkpoint.
        Side effects can check ``is_replaying()``. Not available for a partitioned projection (its
        partitions run on several workers): stop them all, delete its checkpoints and restart.
        """
        if not isinstance(from_position, int) or isinstance(from_position, bool) or from_position < 0:
            raise ValueError(f"from_position must be an int >= 0, got {from_position!r}")
        runner = self._runner(name, "rebuild")
        log = self._require_log("rebuild a projection")
        runner.log = log
        await self._load(name)
        was_running = runner.running
        await runner.stop()
        applier = runner.applier
        applied_before = applier.applied
        read = 0
        async with runner.lock:
            applier.state = ProjectionState.REBUILDING
            applier.error = None
            with replaying():
                if from_position == 0:
                    await self._reset(applier)
                applier.position = from_position
                size = self.config.rebuild_batch_size
                while True:
                    batch = await log.read_envelopes(applier.position, size)
                    if batch:
                        try:
                            await applier.apply(batch)
                        except ProjectionFaulted as exc:
                            raise ProjectionBuildError(f"rebuild of {name!r} stopped: {exc}") from exc
                        read += len(batch)
                        report = RebuildProgress(
                            name, read, applier.applied - applied_before, applier.position
                        )
                        self._progress[name] = report
                        if progress is not None:
                            outcome = progress(report)
                            if asyncio.iscoroutine(outcome):
                                await outcome
                    if len(batch) < size:
                        break
            applier.state = ProjectionState.RUNNING
            await applier.save()
            self._progress.pop(name, None)
        if was_running:
            await runner.start()
        return applier.applied - applied_before

    async def _reset(self, applier: UnitApplier) -> None:
        registered = applier.registered
        await self.checkpoint_store.delete(applier.checkpoint_name)
        applier.blocked.clear()
        applier.position = 0
        if registered.transactional:
            async with self.checkpoint_store.transaction() as transaction:
                await registered.reset(transaction.session)
                await transaction.save(applier.checkpoint())
        else:
            await registered.reset(None)
            await applier.save()

    async def retry(self, name: str) -> None:
        """Clear a FAULTED projection's error and resume it from its checkpoint.

        For a partitioned projection: every FAULTED partition this worker holds.
        """
        group = self._groups.get(name)
        if group is not None:
            for runner in list(group.runners.values()):
                await self._retry_runner(runner, start=group.running)
            return
        runner = self._runner(name)
        await self._load(name)
        await self._retry_runner(runner, start=self._started)

    async def _retry_runner(self, runner: ProjectionRunner, *, start: bool) -> None:
        applier = runner.applier
        if applier.state is not ProjectionState.FAULTED:
            return
        applier.state = ProjectionState.STOPPED
        applier.error = None
        await applier.save()
        if start:
            await runner.start()

    # --- parked events ---------------------------------------------------------------------------

    async def list_parked(self, name: str | None = None) -> list[ParkedEvent]:
        """Parked events of one projection (or all), oldest first."""
        await self._connect()
        if name is None:
            return await self.checkpoint_store.list_parked()
        group = self._groups.get(name)
        if group is not None:
            found: list[ParkedEvent] = []
            for key in self._partition_keys(group):
                found.extend(await self.checkpoint_store.list_parked(key))
            return sorted(found, key=lambda parked: parked.position)
        return await self.checkpoint_store.list_parked(self._runner(name).applier.checkpoint_name)

    def _partition_keys(self, group: GroupMember) -> list[str]:
        registered = group.registered
        return [
            checkpoint_name(registered.name, registered.version, (index, group.total))
            for index in range(group.total)
        ]

    async def retry_parked(self, name: str, position: int) -> bool:
        """Apply a parked event again, then the events its stream held back; True when all applied."""
        return await self._release(name, position, apply_head=True)

    async def skip_parked(self, name: str, position: int) -> bool:
        """Drop a parked event for good, then apply the events its stream held back."""
        return await self._release(name, position, apply_head=False)

    async def _release(self, name: str, position: int, *, apply_head: bool) -> bool:
        log = self._require_log("release parked events")
        group = self._groups.get(name)
        if group is not None:
            runner = await self._parked_partition(group, position)
        else:
            runner = self._runner(name)
            await self._load(name)
        applier = runner.applier
        key = applier.checkpoint_name
        async with runner.lock:
            parked = {p.position: p for p in await self.checkpoint_store.list_parked(key)}
            head = parked.get(position)
            if head is None:
                raise ProjectionBuildError(f"projection {name!r} has no parked event at position {position}")
            if head.blocked_by is not None:
                raise ProjectionBuildError(
                    f"the event at position {position} waits behind the parked event at {head.blocked_by}: "
                    "retry or skip that one first"
                )
            followers = sorted(p.position for p in parked.values() if p.blocked_by == position)
            queue = ([position] if apply_head else []) + followers
            if not apply_head:
                await self.checkpoint_store.remove_parked(key, position)
            applier.blocked.pop(head.stream_id, None)
            for index, at in enumerate(queue):
                envelopes = await log.read_envelopes(at - 1, 1)
                if not envelopes or envelopes[0].position != at:
                    await self.checkpoint_store.remove_parked(key, at)
                    continue
                ok = await applier.apply_parked(envelopes[0], parked[at])
                if not ok:
                    rest = queue[index + 1 :]
                    for later in rest:
                        entry = parked[later]
                        entry.blocked_by = at
                        await self.checkpoint_store.park(entry)
                    return False
                await self.checkpoint_store.remove_parked(key, at)
            return True

    async def _parked_partition(self, group: GroupMember, position: int) -> ProjectionRunner:
        """The runner of the partition where ``position`` is parked (it must be held here)."""
        await self._connect()
        for index, key in enumerate(self._partition_keys(group)):
            if any(p.position == position for p in await self.checkpoint_store.list_parked(key)):
                runner = group.runners.get(index)
                if runner is None:
                    raise ProjectionBuildError(
                        f"the event at position {position} is parked in partition {index} of "
                        f"{group.name!r}, which worker {self.worker_id!r} does not hold: retry or skip it "
                        "on the worker that does (see the lease store's list_leases)"
                    )
                return runner
        raise ProjectionBuildError(f"projection {group.name!r} has no parked event at position {position}")

    # --- status ----------------------------------------------------------------------------------

    async def get_status(self, name: str) -> dict[str, Any]:
        """``name``, ``state``, ``position``, ``error``, plus ``lag_seconds``, ``parked``, ``version``…

        A partitioned projection reports this worker's part: ``partitions`` (how many there
        are), ``worker_id``, ``members`` (the live workers seen), ``owned`` (the partitions held
        here) and ``owned_partitions`` (each one's ``state``, ``position``, lease ``token`` and
        ``expires_at``, ``events_applied``, ``error``…); its ``position`` is None, since each
        partition has its own.
        """
        group = self._groups.get(name)
        if group is not None:
            return await self._group_status(group)
        runner = self._runner(name)
        await self._load(name)
        applier = runner.applier
        parked = await self.checkpoint_store.list_parked(applier.checkpoint_name)
        progress = self._progress.get(name)
        return {
            "name": name,
            "state": applier.state,
            "position": applier.position,
            "error": applier.error,
            "version": applier.registered.version,
            "events_applied": applier.applied,
            "lag_seconds": runner.lag_seconds(),
            "buffered_batches": runner.buffered_batches,
            "parked": len(parked),
            "blocked_streams": sorted(applier.blocked),
            "rebuild": None
            if progress is None
            else {"events_read": progress.events_read, "position": progress.position},
        }

    async def _group_status(self, group: GroupMember) -> dict[str, Any]:
        owned = group.partitions_status()
        parked = 0
        for entry in owned.values():
            parked += len(await self.checkpoint_store.list_parked(entry["checkpoint"]))
        errors = [f"partition {index}: {entry['error']}" for index, entry in owned.items() if entry["error"]]
        return {
            "name": group.name,
            "state": group.state(),
            "position": None,
            "error": "; ".join(errors) or group.error,
            "version": group.registered.version,
            "events_applied": sum(entry["events_applied"] for entry in owned.values()),
            "lag_seconds": max((entry["lag_seconds"] for entry in owned.values()), default=0.0),
            "buffered_batches": sum(entry["buffered_batches"] for entry in owned.values()),
            "parked": parked,
            "blocked_streams": sorted(s for entry in owned.values() for s in entry["blocked_streams"]),
            "rebuild": None,
            "partitions": group.total,
            "worker_id": group.worker_id,
            "members": list(group.members),
            "owned": sorted(owned),
            "owned_partitions": owned,
        }

    async def get_all_status(self) -> list[dict[str, Any]]:
        """``get_status`` of every projection."""
        return [await self.get_status(name) for name in self._order]

    def health(self) -> dict[str, Any]:
        """States of the projections, for the application's health report."""
        states = {
            name: (
                self._groups[name].state() if name in self._groups else self._runners[name].applier.state
            ).value
            for name in self._order
        }
        faulted = [name for name, state in states.items() if state == ProjectionState.FAULTED.value]
        return {"status": "unhealthy" if faulted else "healthy", "projections": states, "faulted": faulted}

    # --- internals -------------------------------------------------------------------------------

    def _runner(self, name: str, action: str = "this") -> ProjectionRunner:
        if name in self._groups:
            raise ProjectionBuildError(
                f"projection {name!r} is partitioned (run by a consumer group): {action} is not "
                "available for it"
            )
        try:
            return self._runners[name]
        except KeyError:
            known = ", ".join(self._order) or "none"
            raise ProjectionNotFoundError(
                f"no projection named {name!r} is registered (registered: {known})"
            ) from None

    def _named_groups(self, name: str | None) -> list[GroupMember]:
        """The group called ``name`` (every running group for None); [] when it is not partitioned."""
        if name is None:
            return [group for group in self._groups.values() if group.running]
        group = self._groups.get(name)
        return [] if group is None else [group]

    def _followed(self, name: str | None) -> list[ProjectionRunner]:
        if name is not None:
            return [self._runner(name)]
        return [runner for runner in self._runners.values() if runner.running]

    def _log_or_none(self) -> Any:
        return self.event_store

    def _require_log(self, action: str) -> EventLogProtocol:
        store = self.event_store
        if store is None:
            raise ProjectionBuildError(f"cannot {action}: the ProjectionManager has no event_store")
        if not hasattr(store, "read_envelopes") or not hasattr(store, "appends"):
            raise ProjectionBuildError(
                f"cannot {action}: {type(store).__name__} cannot be followed "
                "(it has no read_envelopes/appends)"
            )
        log: EventLogProtocol = store
        return log

    async def _connect(self) -> None:
        if not self._connected:
            await self.checkpoint_store.connect()
            self._connected = True

    async def _load(self, name: str) -> None:
        if name in self._loaded:
            return
        await self._connect()
        runner = self._runners[name]
        if getattr(runner.applier.registered.target, "replay_on_start", False) is True:
            await self.checkpoint_store.delete(runner.applier.checkpoint_name)  # state lives in memory
        await runner.applier.load()
        checkpoint = await self.checkpoint_store.load(runner.applier.checkpoint_name)
        target = runner.applier.registered.target
        fresh_build = checkpoint is None or checkpoint.state == ProjectionState.REBUILDING.value
        runner.applier.building = callable(getattr(target, "activate", None)) and fresh_build
        if runner.applier.building and checkpoint is None:
            await runner.applier.save()
        self._loaded.add(name)
