"""``AbstractEventStore``: everything about an event store that does not depend on the backend.

The public methods (``append``, ``read``, ``stream_all`` and the rest) check and normalise their
arguments here, once, then call a few primitives that each backend implements:

============================================================  ===============================================
primitive                                                     contract
============================================================  ===============================================
``_append_to_stream(stream_id, events, expected_version)``    atomically check the version and write every
                                                              event, or raise ``ConcurrencyError`` and write
                                                              nothing; return ``Appended(new version,
                                                              stored copies)``
``_read_stream(stream_id, read_range)``                       the stream's stored events in the range
``_read_global(after_position, limit, partition)``            up to ``limit`` events after a global position,
                                                              in position order, in the partition (if any)
``_read_global_envelopes(after_position, limit, partition)``  the same events as ``_read_global``, each in
                                                              an ``EventEnvelope`` with its stream id,
                                                              stream version and position
``_get_stream_version(stream_id)``                            the version, 0 for an unknown stream
``_get_stream_info(stream_id)``                               a ``StreamInfo``, None for an unknown stream
``_compact(stream_id, up_to_version)``                        delete versions <= up_to_version; return count
``_list_stream_ids()``                                        every stream id
============================================================  ===============================================

``_read_by_type`` has a default built on ``_read_global``; override it when the backend has an
index. ``close`` is a no-op by default. Arguments reaching a primitive are already valid: stream ids
are non-empty strings, event lists are non-empty lists of ``DomainEvent``, versions and positions
are integers >= 0, and a ``ReadRange`` is never empty.

Every event a store returns is a copy of the appended one with ``sequence_number`` set to its
global position and, when its class declares ``version``, that field set to its stream version
(see ``stamping.stored_copy``). ``lexigram.events.testing.EventStoreContract`` checks all of it.

Following the global log (``EventLogProtocol``): ``read_envelopes`` reads it like ``stream_all``
with each event's stream, version and position, and ``appends`` is an ``AppendSignal`` raised after
every successful append through ``append_returning``, so a reader can wait for new events instead
of polling.
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import AsyncIterator, Awaitable, Callable, Iterable
from functools import partial
from typing import TYPE_CHECKING, Any, NamedTuple, TypeVar
from uuid import UUID

from lexigram.contracts.events.records import EventEnvelope, StreamInfo
from lexigram.contracts.messages import DomainEvent
from lexigram.events.exceptions import ConcurrencyError, SubjectKeyNotLoadedError
from lexigram.events.stores.arguments import (
    ReadRange,
    check_batch_size,
    check_expected_version,
    check_position,
    check_version_bound,
    event_type_names,
    events_to_append,
    stream_key,
)
from lexigram.events.stores.partitioning import Partition
from lexigram.events.stores.signals import AppendSignal

if TYPE_CHECKING:
    from lexigram.contracts.events.stores import EventStoreProtocol
    from lexigram.contracts.events.subscriptions import EventLogProtocol

__all__ = ["AbstractEventStore", "Appended", "ensure_expected_version"]

T = TypeVar("T")

_TYPE_SCAN_BATCH = 100


class Appended(NamedTuple):
    """The outcome of an append: the new stream version and the stored copies of the events."""

    version: int
    events: list[Any]


def ensure_expected_version(stream_id: str, expected_version: int | None, actual_version: int) -> None:
    """Raise ``ConcurrencyError`` unless ``expected_version`` is None or equals ``actual_version``.

    Versions never go down (compaction keeps them), so ``expected_version=0`` matches exactly the
    streams that never had an event. Backends call this inside their atomic append.
    """
    if expected_version is not None and expected_version != actual_version:
        raise ConcurrencyError(stream_id, expected_version, actual_version)


class AbstractEventStore(ABC):
    """Base class of event stores: argument handling, aliases and iteration, written once.

    A backend subclasses it and implements the primitives listed in this module's docstring. Every
    write goes through ``append_returning`` (``append`` and ``save`` call it), so a wrapper that
    must see each write overrides that method or ``_append_to_stream``.

    ``publishes_appended_events`` is False for plain stores. A store that publishes what it stores
    itself (through a transactional outbox) sets it to True, and ``EventSourcingRepository`` then
    leaves publishing to it.
    """

    publishes_appended_events: bool = False

    def __init__(self, schema_evolution: Any = None) -> None:
        self.schema_evolution = schema_evolution
        """Upcasts stored events of older schemas when a persistent store reads them."""
        self._appends = AppendSignal()
        self._before_append: Callable[[list[DomainEvent]], Awaitable[None]] | None = None
        self._subject_keys: Any = None

    def _use_serializer_hooks(self, serializer: Any) -> None:
        """Let a serializer that keeps per-subject keys (``EncryptedEventSerializer``) manage them.

        Its ``prepare(events)`` runs before every append (creating missing data keys before any
        event uses one), and a read that meets a subject whose key is not loaded yet loads it
        from the serializer's ``subject_keys`` and reads again. Stores that serialize call this
        once, with their serializer; other serializers change nothing.
        """
        if getattr(serializer, "subject_keys", None) is None:
            return
        self._before_append = serializer.prepare
        self._subject_keys = serializer.subject_keys

    async def _read_with_keys(self, read: Callable[[], Awaitable[T]], missing: SubjectKeyNotLoadedError) -> T:
        """Load the key ``missing`` names (and any further ones the read needs), then read again."""
        if self._subject_keys is None:
            raise missing
        loaded: set[tuple[str, str]] = set()
        while True:
            pair = (missing.alias, missing.subject)
            if pair in loaded:
                raise missing
            loaded.add(pair)
            await self._subject_keys.load(missing.alias, [missing.subject])
            try:
                return await read()
            except SubjectKeyNotLoadedError as again:
                missing = again

    @property
    def appends(self) -> AppendSignal:
        """The signal raised after every successful append, for readers that follow the global log.

        In this process only, except on PostgreSQL, whose store also hears the appends of other
        processes. Readers in other processes of the other backends must poll.
        """
        return self._appends

    # --- writing -------------------------------------------------------------------------------

    async def append(
        self,
        stream_id: str | UUID | DomainEvent | Iterable[DomainEvent] | None = None,
        events: Iterable[DomainEvent] | DomainEvent | None = None,
        expected_version: int | None = None,
    ) -> int:
        """Append events to a stream with optimistic concurrency; return the new stream version.

        ``expected_version``: None accepts any version, 0 requires a stream that never had events,
        N requires the stream to be at version N; otherwise ``ConcurrencyError`` is raised and
        nothing is written. An empty list writes nothing and returns the current version.

        ``append(event)`` and ``append([events])`` without a stream id use the stream of the
        events: ``str(aggregate_id)`` when set, else the first payload field ending in ``_id``.
        """
        appended = await self.append_returning(stream_id, events, expected_version)
        return appended.version

    async def append_returning(
        self,
        stream_id: str | UUID | DomainEvent | Iterable[DomainEvent] | None = None,
        events: Iterable[DomainEvent] | DomainEvent | None = None,
        expected_version: int | None = None,
    ) -> Appended:
        """Append exactly like ``append``, and also return the stored copies of the events.

        The copies carry their global position (``sequence_number``) and, when declared, their
        stream ``version``: what a later read returns. The repository publishes these.
        """
        key, listed = events_to_append(stream_id, events)
        expected = check_expected_version(expected_version)
        if not listed:
            if key is None:
                raise ValueError("append() got no events and no stream_id; there is no stream to report on")
            current = await self._get_stream_version(key)
            ensure_expected_version(key, expected, current)
            return Appended(current, [])
        assert key is not None
        if self._before_append is not None:
            await self._before_append(listed)
        appended = await self._append_to_stream(key, listed, expected)
        self._announce_append()
        return appended

    async def save(
        self,
        stream_id: str | UUID | DomainEvent | Iterable[DomainEvent] | None = None,
        events: Iterable[DomainEvent] | DomainEvent | None = None,
        expected_version: int | None = None,
    ) -> int:
        """Append events (an alias of ``append``)."""
        return await self.append(stream_id, events, expected_version)

    async def compact(self, stream_id: str | UUID, up_to_version: int) -> int:
        """Delete the stream's events with version <= ``up_to_version``; return how many were deleted.

        The stream version does not change, and the remaining events keep their positions.
        """
        key = stream_key(stream_id)
        bound = check_version_bound("up_to_version", up_to_version)
        if bound == 0:
            return 0
        return await self._compact(key, bound)

    async def close(self) -> None:
        """Release the store's resources (nothing to release by default)."""
        return

    # --- reading one stream --------------------------------------------------------------------

    async def read(
        self,
        stream_id: str | UUID,
        from_version: int = 0,
        to_version: int | None = None,
        limit: int | None = None,
        *,
        start: int | None = None,
        count: int | None = None,
    ) -> list[Any]:
        """Read a stream's events from ``from_version`` to ``to_version`` (inclusive, 1-based).

        0 and 1 both mean "from the first event"; ``limit`` applies after the range. ``start`` is a
        cursor (``read(s, start=k)`` returns the versions after k) and ``count`` means ``limit``.
        An unknown stream gives ``[]``.
        """
        key = stream_key(stream_id)
        read_range = ReadRange.from_arguments(from_version, to_version, limit, start, count)
        if read_range.is_empty:
            return []
        try:
            return await self._read_stream(key, read_range)
        except SubjectKeyNotLoadedError as missing:
            return await self._read_with_keys(lambda: self._read_stream(key, read_range), missing)

    async def load(self, stream_id: str | UUID, after_version: int = 0) -> list[Any]:
        """Read a stream's events after ``after_version``."""
        after = check_version_bound("after_version", after_version)
        return await self.read(stream_id, from_version=after + 1)

    async def find_by_aggregate(self, aggregate_id: Any) -> list[Any]:
        """Read every event of an aggregate, whose stream id is ``str(aggregate_id)``."""
        return await self.read(str(aggregate_id))

    async def get_events(self, aggregate_id: Any) -> list[Any]:
        """Read every event of an aggregate (the same as ``find_by_aggregate``)."""
        return await self.find_by_aggregate(aggregate_id)

    async def get_stream_version(self, stream_id: str | UUID) -> int:
        """Return the stream's current version, 0 for an unknown stream."""
        return await self._get_stream_version(stream_key(stream_id))

    async def stream_exists(self, stream_id: str | UUID) -> bool:
        """Return True once the stream has had at least one event."""
        return await self._get_stream_version(stream_key(stream_id)) > 0

    async def get_stream_info(self, stream_id: str | UUID) -> StreamInfo | None:
        """Return what the store knows about a stream, or None for an unknown stream."""
        return await self._get_stream_info(stream_key(stream_id))

    async def get_stream_ids(self) -> list[str]:
        """Return the id of every stream."""
        return await self._list_stream_ids()

    # --- reading the global log ----------------------------------------------------------------

    async def read_all(self, position: int = 0, count: int | None = None) -> list[Any]:
        """Return the events after the global position ``position`` (at most ``count``), in order."""
        after = check_position("position", position)
        limit = None if count is None else check_position("count", count)
        if limit == 0:
            return []
        return await self._read_global_with_keys(after, limit, None)

    def stream_all(
        self,
        from_position: int = 0,
        batch_size: int = 100,
        partition: int | None = None,
        total_partitions: int | None = None,
    ) -> AsyncIterator[Any]:
        """Iterate every event after ``from_position`` (exclusive) in global order, in batches.

        With ``partition`` and ``total_partitions``, only the streams of that partition are read:
        the partitions are disjoint and together hold every event. Bad arguments raise
        ``ValueError`` here, before iteration starts.
        """
        after = check_position("from_position", from_position)
        size = check_batch_size(batch_size)
        selected = Partition.from_arguments(partition, total_partitions)
        return self._iterate_global(after, size, selected)

    async def read_envelopes(
        self,
        after_position: int = 0,
        limit: int = 100,
        *,
        partition: int | None = None,
        total_partitions: int | None = None,
    ) -> list[EventEnvelope]:
        """Up to ``limit`` events after ``after_position`` in global order, each in an ``EventEnvelope``.

        The same events, order and partitioning as ``stream_all`` (and the same argument errors);
        each envelope also carries the event's stream id, stream version and global position. A
        reader resumes after the last envelope's ``position``.
        """
        after = check_position("after_position", after_position)
        size = check_batch_size(limit, "limit")
        selected = Partition.from_arguments(partition, total_partitions)
        try:
            return await self._read_global_envelopes(after, size, selected)
        except SubjectKeyNotLoadedError as missing:
            return await self._read_with_keys(
                lambda: self._read_global_envelopes(after, size, selected), missing
            )

    async def _read_global_with_keys(
        self, after: int, limit: int | None, partition: Partition | None
    ) -> list[Any]:
        try:
            return await self._read_global(after, limit, partition)
        except SubjectKeyNotLoadedError as missing:
            return await self._read_with_keys(lambda: self._read_global(after, limit, partition), missing)

    def stream_by_type(
        self, event_types: Iterable[str | type], from_position: int = 0, *, batch_size: int = 100
    ) -> AsyncIterator[Any]:
        """Iterate the events whose ``event_type`` is in ``event_types``, after ``from_position``, in order.

        ``event_types`` holds type names (event classes are accepted too, by class name).
        """
        names = event_type_names(event_types)
        after = check_position("from_position", from_position)
        size = check_batch_size(batch_size)
        return self._iterate_by_type(names, after, size)

    async def _iterate_global(
        self, after: int, batch_size: int, partition: Partition | None
    ) -> AsyncIterator[Any]:
        while True:
            batch = await self._read_global_with_keys(after, batch_size, partition)
            for event in batch:
                yield event
            if len(batch) < batch_size:
                return
            after = batch[-1].sequence_number

    async def _iterate_by_type(
        self, names: frozenset[str], after: int, batch_size: int
    ) -> AsyncIterator[Any]:
        if not names:
            return
        while True:
            try:
                batch = await self._read_by_type(names, after, batch_size)
            except SubjectKeyNotLoadedError as missing:
                batch = await self._read_with_keys(
                    partial(self._read_by_type, names, after, batch_size), missing
                )
            for event in batch:
                yield event
            if len(batch) < batch_size:
                return
            after = batch[-1].sequence_number

    # --- backend primitives --------------------------------------------------------------------

    @abstractmethod
    async def _append_to_stream(
        self, stream_id: str, events: list[DomainEvent], expected_version: int | None
    ) -> Appended:
        """Check the version and write the events atomically; return the new version and stored copies."""

    @abstractmethod
    async def _read_stream(self, stream_id: str, read_range: ReadRange) -> list[Any]:
        """Return the stored events of a stream within ``read_range``, in version order."""

    @abstractmethod
    async def _read_global(
        self, after_position: int, limit: int | None, partition: Partition | None
    ) -> list[Any]:
        """Return up to ``limit`` stored events after ``after_position`` in the partition, in order."""

    @abstractmethod
    async def _read_global_envelopes(
        self, after_position: int, limit: int, partition: Partition | None
    ) -> list[EventEnvelope]:
        """Return what ``_read_global`` returns, each event in an envelope with its stream and version."""

    def _announce_append(self) -> None:
        """Tell readers that an append succeeded (raise ``appends``); called after every append."""
        self._appends.notify()

    @abstractmethod
    async def _get_stream_version(self, stream_id: str) -> int:
        """Return the stream version, 0 for an unknown stream."""

    @abstractmethod
    async def _get_stream_info(self, stream_id: str) -> StreamInfo | None:
        """Return the stream's information, None for an unknown stream."""

    @abstractmethod
    async def _compact(self, stream_id: str, up_to_version: int) -> int:
        """Delete the stream's events with version <= ``up_to_version``; return how many."""

    @abstractmethod
    async def _list_stream_ids(self) -> list[str]:
        """Return every stream id."""

    async def _read_by_type(self, names: frozenset[str], after_position: int, limit: int) -> list[Any]:
        """Return up to ``limit`` events of the named types after a position (default: scan the log)."""
        matched: list[Any] = []
        while True:
            batch = await self._read_global(after_position, _TYPE_SCAN_BATCH, None)
            for event in batch:
                if event.event_type in names:
                    matched.append(event)
                    if len(matched) == limit:
                        return matched
            if len(batch) < _TYPE_SCAN_BATCH:
                return matched
            after_position = batch[-1].sequence_number


if TYPE_CHECKING:

    def _satisfies_the_protocol(store: AbstractEventStore) -> EventStoreProtocol:
        return store

    def _is_an_event_log(store: AbstractEventStore) -> EventLogProtocol:
        return store
