"""``EventSourcingRepository``: loads aggregates from their events (and snapshots) and saves new ones.

Example::

    repository = EventSourcingRepository(
        aggregate_type=Order,
        event_store=event_store,
        snapshot_store=snapshot_store,
        event_bus=event_bus,
        snapshot_policy=EventCountPolicy(100),
    )
    order = await repository.get(order_id)      # latest snapshot + the events after it
    order.add_item(product_id, quantity, price)
    await repository.save(order)                # append, publish, maybe snapshot

The stream of an aggregate is ``str(aggregate.id)``.

Snapshots survive changes to the aggregate class: each snapshot the repository takes records the
class's state fingerprint (``snapshots.fingerprint``). A snapshot taken for another state schema,
or one that cannot be read at all, is ignored with a log line: the aggregate is replayed from its
events and a fresh snapshot is written.
"""

from __future__ import annotations

import logging
from typing import Any, TypeVar

from lexigram.contracts.core.result import Err
from lexigram.contracts.events.buses import EventBusProtocol
from lexigram.contracts.events.records import Snapshot
from lexigram.contracts.events.stores import EventStoreProtocol, SnapshotStoreProtocol
from lexigram.events.aggregates.aggregate import AggregateRoot, new_aggregate
from lexigram.events.exceptions import (
    AggregateNotFoundError,
    ConfigurationError,
    EventLoadError,
    InvalidOperationError,
    SnapshotReplayError,
)
from lexigram.events.repository.base import AbstractRepository
from lexigram.events.snapshots.fingerprint import snapshot_fingerprint, state_fingerprint, with_fingerprint
from lexigram.events.snapshots.policies import EventCountPolicy, SnapshotContext, SnapshotPolicy
from lexigram.events.stores.base import AbstractEventStore

__all__ = ["EventSourcingRepository"]

logger = logging.getLogger(__name__)

TAggregate = TypeVar("TAggregate", bound=AggregateRoot)


class EventSourcingRepository(AbstractRepository[TAggregate]):
    """A repository of event-sourced aggregates, with optional snapshots and event publishing.

    ``get(id)`` loads the latest snapshot (when there is a ``snapshot_store``) and replays only the
    later events; it returns None when the aggregate has neither events nor a snapshot.

    ``save(aggregate)`` appends the pending events with ``expected_version = version - pending``.
    A ``ConcurrencyError`` propagates, with the events still pending and nothing published. After
    a successful append, the stored events (carrying their global position) are published to
    ``event_bus`` in order, the buffer is cleared, and a snapshot is taken when the policy says so
    (default ``EventCountPolicy(snapshot_every)``; it needs a ``snapshot_store``). A failing
    snapshot is logged and never hides the successful append.

    Each snapshot records the aggregate class's state fingerprint in its metadata. ``get`` ignores
    a snapshot with a different fingerprint (the class changed since) or one the snapshot store
    cannot read (``EventLoadError``, ``SnapshotUnreadableError`` among them): it logs a warning,
    replays every event, and writes a fresh snapshot. A snapshot without a fingerprint (taken by
    hand, without the repository) is used as it is. When the stream was compacted, so the events
    alone cannot rebuild the aggregate, ``get`` raises ``SnapshotReplayError`` rather than build a
    wrong state.

    Publishing is skipped when the event store publishes its own events: a store whose
    ``publishes_appended_events`` attribute is true (one with a transactional outbox, whose relay
    delivers each stored event) makes the repository a pure persistence component. The attribute
    is read once, here.
    """

    def __init__(
        self,
        aggregate_type: type[TAggregate],
        event_store: EventStoreProtocol,
        snapshot_store: SnapshotStoreProtocol | None = None,
        event_bus: EventBusProtocol | None = None,
        snapshot_policy: SnapshotPolicy | None = None,
        snapshot_every: int = 100,
    ) -> None:
        if not (isinstance(aggregate_type, type) and issubclass(aggregate_type, AggregateRoot)):
            raise TypeError(f"aggregate_type must be an AggregateRoot subclass, got {aggregate_type!r}")
        self.aggregate_type = aggregate_type
        self.event_store = event_store
        self.snapshot_store = snapshot_store
        self.event_bus = event_bus
        self.snapshot_policy: SnapshotPolicy = (
            snapshot_policy if snapshot_policy is not None else EventCountPolicy(snapshot_every)
        )
        self._publish_to = None if getattr(event_store, "publishes_appended_events", False) else event_bus
        # A framework store hands back the stored copies of what it appended (with their global
        # positions), so those are published. A store that overrides ``append`` gets its override
        # called instead, and the aggregate's own events are published.
        self._framework_store: AbstractEventStore | None = None
        default_append = AbstractEventStore.append
        if isinstance(event_store, AbstractEventStore) and type(event_store).append is default_append:
            self._framework_store = event_store
        self._fingerprint = state_fingerprint(aggregate_type)

    # --- loading -------------------------------------------------------------------------------

    async def get(self, aggregate_id: Any) -> TAggregate | None:
        """Load the aggregate, or return None when it has no events and no snapshot."""
        key = str(aggregate_id)
        snapshot, discarded = await self._usable_snapshot(key)
        if snapshot is None:
            events = await self.event_store.read(key)
            if discarded:
                await self._ensure_replayable(key, len(events))
            if not events:
                return None
        else:
            events = await self.event_store.read(key, from_version=snapshot.version + 1)
        aggregate = new_aggregate(self.aggregate_type, aggregate_id)
        if snapshot is not None:
            # A snapshot store returns a fresh copy on every read (its contract), so the aggregate
            # can take the state over without copying it again.
            aggregate.load_from_snapshot(snapshot, copy_state=False)
            aggregate.id = aggregate_id
        aggregate.load_from_history(events)
        if discarded and self.snapshot_store is not None:
            await self._replace_snapshot(aggregate, key, self.snapshot_store)
        return aggregate

    async def get_or_raise(self, aggregate_id: Any) -> TAggregate:
        """Load the aggregate, or raise ``AggregateNotFoundError`` naming its type and id."""
        aggregate = await self.get(aggregate_id)
        if aggregate is None:
            raise AggregateNotFoundError(self.aggregate_type.__name__, aggregate_id)
        return aggregate

    async def exists(self, aggregate_id: Any) -> bool:
        """Return True when the aggregate has events or a snapshot."""
        key = str(aggregate_id)
        if await self.event_store.stream_exists(key):
            return True
        if self.snapshot_store is None:
            return False
        try:
            return await self.snapshot_store.get_latest(key) is not None
        except EventLoadError:
            return True  # a snapshot is there, even if it cannot be read

    async def _usable_snapshot(self, key: str) -> tuple[Snapshot | None, bool]:
        """The latest snapshot if it can be used, and whether an unusable one was set aside."""
        if self.snapshot_store is None:
            return None, False
        name = self.aggregate_type.__name__
        try:
            snapshot = await self.snapshot_store.get_latest(key)
        except EventLoadError as exc:
            logger.warning(
                "the snapshot of %s %s cannot be read (%s); replaying its events instead", name, key, exc
            )
            return None, True
        if snapshot is None:
            return None, False
        recorded = snapshot_fingerprint(snapshot)
        if recorded is not None and recorded != self._fingerprint:
            logger.warning(
                "the snapshot of %s %s at version %d was taken for another state schema (fingerprint "
                "%s, now %s); replaying its events instead",
                name,
                key,
                snapshot.version,
                recorded,
                self._fingerprint,
            )
            return None, True
        return snapshot, False

    async def _ensure_replayable(self, key: str, replayed: int) -> None:
        """Raise ``SnapshotReplayError`` when the events alone cannot rebuild the aggregate."""
        version = await self.event_store.get_stream_version(key)
        if replayed < version or version == 0:
            raise SnapshotReplayError(
                f"{self.aggregate_type.__name__} {key} cannot be loaded: its snapshot is unreadable or "
                f"was taken for another state schema, and only {replayed} of its {version} events are "
                "stored (the stream was compacted), so replaying them would build a wrong state. Restore "
                "a snapshot the current class can read, or the compacted events",
                details={"aggregate_id": key, "stream_version": version, "events": replayed},
            )

    async def _replace_snapshot(
        self, aggregate: TAggregate, key: str, snapshot_store: SnapshotStoreProtocol
    ) -> None:
        try:
            await self._take_snapshot(aggregate, snapshot_store)
        except Exception:  # the one boundary where a snapshot failure is contained
            logger.exception(
                "%s %s was replayed from its events (version %d), but writing its fresh snapshot failed",
                type(aggregate).__name__,
                key,
                aggregate.version,
            )

    # --- saving --------------------------------------------------------------------------------

    async def save(self, aggregate: TAggregate) -> None:
        """Append the pending events, publish them, clear the buffer, then snapshot per the policy."""
        pending = aggregate.get_pending_events()
        if not pending:
            return
        key = str(aggregate.id)
        expected_version = aggregate.version - len(pending)
        if self._framework_store is not None:
            appended = await self._framework_store.append_returning(key, pending, expected_version)
            stored = appended.events
        else:
            await self.event_store.append(key, pending, expected_version)
            stored = pending
        try:
            await self._publish(stored)
        finally:
            aggregate.clear_pending_events()
        await self._maybe_snapshot(aggregate, key, len(pending))

    async def force_snapshot(self, aggregate: TAggregate) -> Snapshot:
        """Snapshot the aggregate's current state and version now, whatever the policy says.

        Save the aggregate first: a snapshot must not get ahead of the stored events.
        """
        if self.snapshot_store is None:
            raise ConfigurationError(
                f"{type(self).__name__} for {self.aggregate_type.__name__} has no snapshot_store "
                "to snapshot into"
            )
        if aggregate.has_uncommitted_events:
            raise InvalidOperationError(
                f"{type(aggregate).__name__} {aggregate.id} has unsaved events; save it before "
                "forcing a snapshot"
            )
        return await self._take_snapshot(aggregate, self.snapshot_store)

    async def _publish(self, events: list[Any]) -> None:
        bus = self._publish_to
        if bus is None:
            return
        for event in events:
            result = await bus.publish(event)
            if isinstance(result, Err):
                logger.warning(
                    "%s %s was saved but the event bus did not accept it: %s",
                    type(event).__name__,
                    getattr(event, "event_id", ""),
                    result.unwrap_err(),
                )

    async def _maybe_snapshot(self, aggregate: TAggregate, key: str, events_saved: int) -> None:
        if self.snapshot_store is None:
            return
        context = SnapshotContext(
            aggregate_id=key,
            aggregate_type=type(aggregate).__name__,
            version=aggregate.version,
            events_saved=events_saved,
            last_snapshot_version=aggregate._snapshot_version,
            last_snapshot_at=aggregate._snapshot_taken_at,
        )
        try:
            if self.snapshot_policy.should_snapshot(context):
                await self._take_snapshot(aggregate, self.snapshot_store)
        except Exception:  # the one boundary where a snapshot failure is contained
            logger.exception(
                "%s %s was saved (version %d), but taking its snapshot failed",
                type(aggregate).__name__,
                key,
                aggregate.version,
            )

    async def _take_snapshot(self, aggregate: TAggregate, snapshot_store: SnapshotStoreProtocol) -> Snapshot:
        snapshot = with_fingerprint(aggregate.create_snapshot(), self.aggregate_type)
        await snapshot_store.save_snapshot(snapshot)
        aggregate._snapshot_version = snapshot.version
        aggregate._snapshot_taken_at = snapshot.timestamp
        return snapshot
