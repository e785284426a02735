"""``ProjectionManager``: registers projections, runs their subscriptions, rebuilds and reports them."""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Any

from lexigram.contracts.events.records import EventEnvelope, ParkedEvent
from lexigram.contracts.events.subscriptions import CheckpointStoreProtocol, EventLogProtocol
from lexigram.events.config import ProjectionsConfig
from lexigram.events.exceptions import ProjectionBuildError, ProjectionNotFoundError
from lexigram.events.projections.policies import ErrorPolicy
from lexigram.events.projections.registration import RegisteredProjection
from lexigram.events.projections.runner import ProjectionRunner
from lexigram.events.projections.units import ProjectionFaulted, UnitApplier, replaying
from lexigram.events.stores.memory.checkpoint_store import InMemoryCheckpointStore
from lexigram.events.types import ProjectionState

__all__ = ["ProjectionManager", "RebuildProgress"]


@dataclass(frozen=True, slots=True)
class RebuildProgress:
    """Where a rebuild stands, reported after every batch."""

    name: str
    events_read: int
    events_applied: int
    position: int


ProgressCallback = Callable[[RebuildProgress], Awaitable[None] | None]


def checkpoint_name(name: str, version: int, partition: tuple[int, int] | None = None) -> str:
    """The key a projection's checkpoint is saved under (one per version and partition)."""
    key = name if version == 1 else f"{name}@v{version}"
    if partition is not None:
        key = f"{key}#{partition[0]}of{partition[1]}"
    return key


class ProjectionManager:
    """Runs read-model projections against the event store's global log.

    Register projections, then either push events with ``process`` or ``start()`` a subscription
    per projection that catches up from its checkpoint and follows the log live (the
    application starts and stops them with its lifecycle). ``rebuild`` replays history;
    a projection with a higher ``version`` builds beside the previous one and is activated
    once it has caught up.
    """

    def __init__(
        self,
        event_store: Any = None,
        checkpoint_store: CheckpointStoreProtocol | None = None,
        *,
        config: ProjectionsConfig | None = None,
        default_error_policy: ErrorPolicy | None = None,
    ) -> None:
        if config is not None and not isinstance(config, ProjectionsConfig):
            raise TypeError(f"config must be a ProjectionsConfig, got {type(config).__name__}")
        self.event_store = event_store
        self.checkpoint_store: CheckpointStoreProtocol = (
            checkpoint_store if checkpoint_store is not None else InMemoryCheckpointStore()
        )
        self.config = config if config is not None else ProjectionsConfig()
        self.default_error_policy = (
            default_error_policy if default_error_policy is not None else ErrorPolicy.stop()
        )
        self._runners: dict[str, ProjectionRunner] = {}
        self._loaded: set[str] = set()
        self._connected = False
        self._started = False
        self._turn = None if self.config.enable_parallel_projections else asyncio.Lock()
        self._progress: dict[str, RebuildProgress] = {}

    # --- registration ---------------------------------------------------------------------------

    def register(
        self, projection: Any, *, name: str | None = None, error_policy: ErrorPolicy | None = None
    ) -> str:
        """Register a projection; return its name. A duplicate name raises ``ValueError``."""
        registered = RegisteredProjection(projection, name=name, error_policy=error_policy)
        if registered.name in self._runners:
            raise ValueError(f"a projection named {registered.name!r} is already registered")
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
        return registered.name

    async def unregister(self, name: str) -> None:
        """Stop and forget a projection (its checkpoint stays)."""
        runner = self._runner(name)
        await runner.stop()
        del self._runners[name]
        self._loaded.discard(name)

    @property
    def names(self) -> list[str]:
        """The registered projection names, in registration order."""
        return list(self._runners)

    def get(self, name: str) -> Any:
        """The projection object registered under ``name``."""
        return self._runner(name).applier.registered.target

    # --- lifecycle -------------------------------------------------------------------------------

    async def start(self) -> None:
        """Start a subscription for every registered projection (idempotent)."""
        log = self._require_log("start projections")
        for name, runner in self._runners.items():
            runner.log = log
            await self._load(name)
            await runner.start()
        self._started = True

    async def stop(self) -> None:
        """Stop every subscription after its current batch and save the checkpoints (idempotent)."""
        self._started = False
        await asyncio.gather(*(runner.stop() for runner in self._runners.values()))

    async def close(self) -> None:
        """Stop the projections and close the checkpoint store."""
        await self.stop()
        if self._connected:
            self._connected = False
            await self.checkpoint_store.close()

    async def start_projection(self, name: str) -> None:
        """Start one projection's subscription."""
        runner = self._runner(name)
        runner.log = self._require_log("start a projection")
        await self._load(name)
        await runner.start()

    async def stop_projection(self, name: str) -> None:
        """Stop one projection's subscription."""
        await self._runner(name).stop()

    async def wait_until_live(self, name: str | None = None, max_wait: float | None = 10.0) -> None:
        """Wait until the projection (every started one when ``name`` is None) has caught up.

        Raises ``ProjectionBuildError`` when one is FAULTED and ``TimeoutError`` after ``max_wait`` seconds.
        """
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

        async with asyncio.timeout(max_wait):
            await asyncio.gather(*(live(runner) for runner in runners))

    async def wait_for_position(
        self, position: int, name: str | None = None, max_wait: float | None = 10.0
    ) -> None:
        """Wait until the projection (every started one) has handled the log up to ``position``."""
        runners = (
            [self._runner(name)] if name is not None else [r for r in self._runners.values() if r.running]
        )

        async def reached(runner: ProjectionRunner) -> None:
            while runner.applier.position < position:
                if runner.applier.state is ProjectionState.FAULTED:
                    raise ProjectionBuildError(
                        f"projection {runner.applier.registered.name!r} is FAULTED: {runner.applier.error}"
                    )
                await asyncio.sleep(0.01)

        async with asyncio.timeout(max_wait):
            await asyncio.gather(*(reached(runner) for runner in runners))

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
        Side effects can check ``is_replaying()``.
        """
        if not isinstance(from_position, int) or isinstance(from_position, bool) or from_position < 0:
            raise ValueError(f"from_position must be an int >= 0, got {from_position!r}")
        runner = self._runner(name)
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
        """Clear a FAULTED projection's error and resume it from its checkpoint."""
        runner = self._runner(name)
        await self._load(name)
        applier = runner.applier
        if applier.state is not ProjectionState.FAULTED:
            return
        applier.state = ProjectionState.STOPPED
        applier.error = None
        await applier.save()
        if self._started:
            await runner.start()

    # --- parked events ---------------------------------------------------------------------------

    async def list_parked(self, name: str | None = None) -> list[ParkedEvent]:
        """Parked events of one projection (or all), oldest first."""
        await self._connect()
        if name is None:
            return await self.checkpoint_store.list_parked()
        return await self.checkpoint_store.list_parked(self._runner(name).applier.checkpoint_name)

    async def retry_parked(self, name: str, position: int) -> bool:
        """Apply a parked event again, then the events its stream held back; True when all applied."""
        return await self._release(name, position, apply_head=True)

    async def skip_parked(self, name: str, position: int) -> bool:
        """Drop a parked event for good, then apply the events its stream held back."""
        return await self._release(name, position, apply_head=False)

    async def _release(self, name: str, position: int, *, apply_head: bool) -> bool:
        runner = self._runner(name)
        log = self._require_log("release parked events")
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

    # --- status ----------------------------------------------------------------------------------

    async def get_status(self, name: str) -> dict[str, Any]:
        """``name``, ``state``, ``position``, ``error``, plus ``lag_seconds``, ``parked``, ``version``…"""
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

    async def get_all_status(self) -> list[dict[str, Any]]:
        """``get_status`` of every projection."""
        return [await self.get_status(name) for name in self._runners]

    def health(self) -> dict[str, Any]:
        """States of the projections, for the application's health report."""
        states = {name: runner.applier.state.value for name, runner in self._runners.items()}
        faulted = [name for name, state in states.items() if state == ProjectionState.FAULTED.value]
        return {"status": "unhealthy" if faulted else "healthy", "projections": states, "faulted": faulted}

    # --- internals -------------------------------------------------------------------------------

    def _runner(self, name: str) -> ProjectionRunner:
        try:
            return self._runners[name]
        except KeyError:
            known = ", ".join(self._runners) or "none"
            raise ProjectionNotFoundError(
                f"no projection named {name!r} is registered (registered: {known})"
            ) from None

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
