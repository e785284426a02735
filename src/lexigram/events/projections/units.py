"""Applying envelopes to one projection in units: atomic with the checkpoint when it can be.

A *unit* is a run of envelopes applied together. For a transactional projection (one that writes
through the checkpoint store's SQL session) a unit is one transaction holding the read-model
writes, the parked events and the checkpoint: exactly-once effect. Otherwise the events are
applied one by one and the checkpoint is saved every ``checkpoint_interval`` events:
at-least-once delivery.

When an event fails, the unit is cut before it (re-applied on its own when the unit was a
transaction), and the failing event goes through the projection's ``ErrorPolicy``: retries
with backoff, then parking (its stream is held back, others flow) or stopping (FAULTED).

A partition of a consumer group is applied under a lease. Its applier has a ``guard``: called
first thing inside every transaction that records a checkpoint, it raises ``PartitionLeaseLost``
when the lease was taken over, and the transaction rolls back before anything of it was written.
A store that shares the checkpoint's database also locks the lease against takeover until the
transaction ends, so no commit ever follows a takeover.
"""

from __future__ import annotations

import asyncio
import contextvars
from collections.abc import Awaitable, Callable, Iterator
from contextlib import contextmanager
from typing import Any

from lexigram.contracts.events.records import Checkpoint, EventEnvelope, ParkedEvent
from lexigram.contracts.events.subscriptions import CheckpointStoreProtocol, CheckpointTransactionProtocol
from lexigram.contracts.messages.ids import utc_now
from lexigram.events.exceptions import ProjectionBuildError
from lexigram.events.projections.policies import ErrorAction, ErrorPolicy
from lexigram.events.projections.registration import RegisteredProjection
from lexigram.events.types import ProjectionState

__all__ = [
    "Guard",
    "PartitionLeaseLost",
    "ProjectionFaulted",
    "UnitApplier",
    "checkpoint_name",
    "is_replaying",
    "replaying",
]

Guard = Callable[[CheckpointTransactionProtocol], Awaitable[None]]
"""Checks, inside a checkpoint transaction about to commit, that the applier may still commit."""

_REPLAYING: contextvars.ContextVar[bool] = contextvars.ContextVar(
    "lexigram_projection_replaying", default=False
)


def checkpoint_name(name: str, version: int, partition: tuple[int, int] | None = None) -> str:
    """The key a projection's checkpoint is saved under (one per version and partition)."""
    key = name if version == 1 else f"{name}@v{version}"
    if partition is not None:
        key = f"{key}#{partition[0]}of{partition[1]}"
    return key


def is_replaying() -> bool:
    """True while a projection replays history (rebuild, new version): suppress side effects then."""
    return _REPLAYING.get()


@contextmanager
def replaying(active: bool = True) -> Iterator[None]:
    """Mark the current task as replaying (``is_replaying()`` answers True inside)."""
    token = _REPLAYING.set(active)
    try:
        yield
    finally:
        _REPLAYING.reset(token)


class ProjectionFaulted(ProjectionBuildError):
    """A projection stopped on an event its error policy would not park."""

    def __init__(self, name: str, position: int, error: BaseException) -> None:
        self.projection_name = name
        self.position = position
        self.cause = error
        super().__init__(
            f"projection {name!r} failed at position {position}: {type(error).__name__}: {error}; "
            "fix the cause, then rebuild it or call ProjectionManager.retry(name)"
        )


class PartitionLeaseLost(ProjectionBuildError):
    """This worker's lease on a partition was taken over: it must not commit for that partition."""

    def __init__(self, name: str, partition: int, token: int) -> None:
        self.projection_name = name
        self.partition = partition
        self.token = token
        super().__init__(
            f"projection {name!r}: the lease on partition {partition} (token {token}) was taken over "
            "by another worker; nothing more is committed for it here"
        )


class _UnitFailed(Exception):
    """An event of a unit raised; ``index`` is its place in the unit when known."""

    def __init__(self, index: int | None, error: BaseException) -> None:
        super().__init__(str(error))
        self.index = index
        self.error = error


def _describe(error: BaseException) -> str:
    return f"{type(error).__name__}: {error}"


class UnitApplier:
    """Applies envelopes to one projection and keeps its position, state, parked streams and counters."""

    def __init__(
        self,
        registered: RegisteredProjection,
        checkpoints: CheckpointStoreProtocol,
        checkpoint_name: str,
        *,
        default_policy: ErrorPolicy,
        checkpoint_interval: int,
        guard: Guard | None = None,
    ) -> None:
        self.registered = registered
        self.checkpoints = checkpoints
        self.checkpoint_name = checkpoint_name
        self.default_policy = default_policy
        self.checkpoint_interval = checkpoint_interval
        self.position = 0
        self.saved_position = 0
        self.state = ProjectionState.STOPPED
        self.error: str | None = None
        self.blocked: dict[str, int] = {}
        """Streams held back by a parked event: stream id -> position of the first parked event."""
        self.applied = 0
        self.last_event_at: Any = None
        self.building = False
        """True while a new version replays history before its activation (saved as REBUILDING)."""
        self.guard = guard
        """Called first in every checkpoint transaction (partitions of a consumer group); with a
        guard, checkpoints are always saved in a transaction."""
        self._unsaved = 0

    # --- durable state --------------------------------------------------------------------------

    async def load(self) -> None:
        """Read the checkpoint and the parked streams."""
        checkpoint = await self.checkpoints.load(self.checkpoint_name)
        if checkpoint is not None:
            self.position = self.saved_position = checkpoint.position
            self.error = checkpoint.error
            if checkpoint.state == ProjectionState.FAULTED.value:
                self.state = ProjectionState.FAULTED
        self.blocked = {}
        for parked in await self.checkpoints.list_parked(self.checkpoint_name):
            if parked.blocked_by is None:
                self.blocked.setdefault(parked.stream_id, parked.position)

    def checkpoint(self) -> Checkpoint:
        """The checkpoint as it stands now."""
        return Checkpoint(self.checkpoint_name, self.position, utc_now(), self._saved_state(), self.error)

    def _saved_state(self) -> str:
        if self.building and self.state is not ProjectionState.FAULTED:
            return ProjectionState.REBUILDING.value
        return self.state.value

    async def save(self) -> None:
        """Save the checkpoint now (in a guarded transaction when the applier has a guard)."""
        if self.guard is None:
            await self.checkpoints.save(self.checkpoint())
        else:
            async with self.checkpoints.transaction() as transaction:
                await self.guard(transaction)
                await transaction.save(self.checkpoint())
        self.saved_position = self.position
        self._unsaved = 0

    async def save_if_due(self) -> None:
        """Save the checkpoint when ``checkpoint_interval`` events passed since the last save."""
        if self._unsaved >= self.checkpoint_interval:
            await self.save()

    async def flush(self) -> None:
        """Save the checkpoint when it moved since the last save."""
        if self.position != self.saved_position or self._unsaved:
            await self.save()

    # --- applying ---------------------------------------------------------------------------------

    async def apply(self, envelopes: list[EventEnvelope]) -> int:
        """Apply envelopes in order; return how many events the projection applied.

        Raises ``ProjectionFaulted`` when the error policy stops the projection.
        """
        before = self.applied
        pending = envelopes
        isolate = False
        while pending:
            if isolate:
                await self._apply_with_policy(pending[0])
                pending = pending[1:]
                continue
            try:
                await self._unit(pending)
                break
            except _UnitFailed as failure:
                index = failure.index
                if index is None:
                    if len(pending) == 1:
                        index = 0
                    else:
                        isolate = True  # a batch shape failed somewhere: go one event at a time
                        continue
                if index > 0:
                    head, pending = pending[:index], pending[index:]
                    if self.registered.transactional:
                        await self.apply(head)  # the transaction rolled back: commit the good prefix
                await self._handle_failure(pending[0], failure.error)
                pending = pending[1:]
        return self.applied - before

    async def _apply_with_policy(self, envelope: EventEnvelope) -> None:
        try:
            await self._unit([envelope])
        except _UnitFailed as failure:
            await self._handle_failure(envelope, failure.error)

    async def _unit(self, envelopes: list[EventEnvelope]) -> None:
        """Apply a unit; raise ``_UnitFailed`` (with nothing of it committed when transactional)."""
        registered = self.registered
        if registered.transactional:
            await self._transactional_unit(envelopes)
            return
        blocked = self.blocked
        accepts = registered.accepts
        batch_shape = registered.has_batch
        if batch_shape:
            accepted = [e.event for e in envelopes if e.stream_id not in blocked and accepts(e.event)]
            try:
                await registered.apply_events(accepted, None)
            except Exception as exc:
                raise _UnitFailed(None, exc) from exc
            for envelope in envelopes:
                if envelope.stream_id in blocked:
                    await self.checkpoints.park(self._held_back(envelope))
            self._advance(envelopes[-1], len(accepted), len(envelopes))
            await self.save_if_due()
            return
        for index, envelope in enumerate(envelopes):
            if envelope.stream_id in blocked:
                await self.checkpoints.park(self._held_back(envelope))
                self._advance(envelope, 0, 1)
                continue
            event = envelope.event
            if accepts(event):
                try:
                    await registered.apply_one(event)
                except Exception as exc:
                    raise _UnitFailed(index, exc) from exc
                self._advance(envelope, 1, 1)
            else:
                self._advance(envelope, 0, 1)
            if self._unsaved >= self.checkpoint_interval:
                await self.save()

    async def _transactional_unit(self, envelopes: list[EventEnvelope]) -> None:
        registered = self.registered
        blocked = self.blocked
        accepts = registered.accepts
        failed: _UnitFailed | None = None
        applied = 0
        try:
            async with self.checkpoints.transaction() as transaction:
                if self.guard is not None:
                    await self.guard(transaction)
                session = transaction.session
                if session is None:
                    raise ProjectionBuildError(
                        f"projection {registered.name!r} writes through a SQL session, but the checkpoint "
                        "store has none: give the ProjectionManager a SQLite or PostgreSQL checkpoint store"
                    )
                accepted: list[Any] = []
                for envelope in envelopes:
                    if envelope.stream_id in blocked:
                        await transaction.park(self._held_back(envelope))
                    elif accepts(envelope.event):
                        accepted.append(envelope)
                if registered.has_batch:
                    try:
                        await registered.apply_events([e.event for e in accepted], session)
                    except Exception as exc:
                        failed = _UnitFailed(None, exc)
                        raise
                else:
                    for envelope in accepted:
                        try:
                            await registered.apply_one(envelope.event, session)
                        except Exception as exc:
                            failed = _UnitFailed(envelopes.index(envelope), exc)
                            raise
                applied = len(accepted)
                last = envelopes[-1]
                await transaction.save(
                    Checkpoint(
                        self.checkpoint_name, last.position or 0, utc_now(), self._saved_state(), self.error
                    )
                )
        except Exception as exc:
            if failed is not None:
                raise failed from exc
            raise
        self._advance(envelopes[-1], applied, 0)
        self.saved_position = self.position

    def _advance(self, envelope: EventEnvelope, applied: int, unsaved: int) -> None:
        self.position = envelope.position or self.position
        self.applied += applied
        self._unsaved += unsaved
        self.last_event_at = getattr(envelope.event, "occurred_at", None)

    def _held_back(self, envelope: EventEnvelope) -> ParkedEvent:
        head = self.blocked[envelope.stream_id]
        return self._parked(envelope, f"held back behind the parked event at position {head}", 0, head)

    def _parked(
        self, envelope: EventEnvelope, error: str, attempts: int, blocked_by: int | None
    ) -> ParkedEvent:
        return ParkedEvent(
            projection_name=self.checkpoint_name,
            stream_id=envelope.stream_id,
            position=envelope.position or 0,
            version=envelope.version,
            event_type=getattr(envelope.event, "event_type", type(envelope.event).__name__),
            error=error,
            attempts=attempts,
            blocked_by=blocked_by,
        )

    async def apply_parked(self, envelope: EventEnvelope, previous: ParkedEvent) -> bool:
        """Apply a parked event out of order (its position is already passed); park it again on failure."""
        registered = self.registered
        try:
            if registered.accepts(envelope.event):
                if registered.transactional:
                    async with self.checkpoints.transaction() as transaction:
                        if self.guard is not None:
                            await self.guard(transaction)
                        await registered.apply_events([envelope.event], transaction.session)
                else:
                    await registered.apply_events([envelope.event], None)
                self.applied += 1
        except PartitionLeaseLost:
            raise
        except Exception as exc:
            self.blocked[envelope.stream_id] = envelope.position or 0
            previous.error = _describe(exc)
            previous.attempts += 1
            previous.blocked_by = None
            previous.parked_at = utc_now()
            await self.checkpoints.park(previous)
            return False
        return True

    # --- failures --------------------------------------------------------------------------------

    async def _handle_failure(self, envelope: EventEnvelope, error: BaseException) -> None:
        registered = self.registered
        attempt = 1
        while True:
            policy = registered.policy_for(envelope.event, error, self.default_policy)
            if attempt > policy.retries:
                break
            await asyncio.sleep(policy.delay(attempt))
            attempt += 1
            try:
                await self._unit([envelope])
                return
            except _UnitFailed as failure:
                error = failure.error
        if policy.then is ErrorAction.PARK:
            await self._park(envelope, error, attempt)
            return
        self.state = ProjectionState.FAULTED
        self.error = f"position {envelope.position}: {_describe(error)}"
        await self.save()
        raise ProjectionFaulted(registered.name, envelope.position or 0, error) from error

    async def _park(self, envelope: EventEnvelope, error: BaseException, attempts: int) -> None:
        parked = self._parked(envelope, _describe(error), attempts, None)
        self.blocked[envelope.stream_id] = parked.position
        self.position = envelope.position or self.position
        async with self.checkpoints.transaction() as transaction:
            if self.guard is not None:
                await self.guard(transaction)
            await transaction.park(parked)
            await transaction.save(self.checkpoint())
        self.saved_position = self.position
        self._unsaved = 0
