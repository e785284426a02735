"""``InMemoryEventStore``: the complete event-store contract, in process memory.

For tests, development and single-process tools. Everything is lost when the process ends. All
operations run without awaiting anything, so on one event loop each append (version check and
write) is atomic; the store is not meant to be shared between threads.
"""

from __future__ import annotations

import warnings
from bisect import bisect_right
from collections.abc import Iterator
from heapq import merge
from typing import Any, Self

from lexigram.contracts.events.records import EventEnvelope, StreamInfo
from lexigram.contracts.exceptions import ConfigurationError
from lexigram.contracts.messages import DomainEvent
from lexigram.events.config import InMemoryEventStoreConfig
from lexigram.events.stores.arguments import ReadRange
from lexigram.events.stores.base import AbstractEventStore, Appended, ensure_expected_version
from lexigram.events.stores.memory.outbox_store import InMemoryOutboxStore
from lexigram.events.stores.memory.streams import MemoryStream
from lexigram.events.stores.partitioning import Partition
from lexigram.events.stores.stamping import stored_copy

__all__ = ["EventEvictionWarning", "InMemoryEventStore"]


class EventEvictionWarning(UserWarning):
    """An in-memory stream exceeded ``max_events_per_stream`` and its oldest events were removed."""


class InMemoryEventStore(AbstractEventStore):
    """An event store in process memory, with the same behaviour as the persistent stores.

    Example::

        store = InMemoryEventStore()
        await store.append("order-123", [OrderCreated(order_id="order-123")], expected_version=0)
        events = await store.read("order-123")

    Each event is stamped once when it is appended (``sequence_number`` and, when declared,
    ``version``) and that stored copy is returned by every read: events are immutable, so there is
    nothing to copy again. A global log indexed by position makes ``stream_all`` start at any
    position in O(1), and a per-type index of positions serves ``stream_by_type``.

    ``max_events_per_stream`` (default 10,000; 0 means unbounded) caps the events kept per stream.
    Going over it removes the oldest events exactly as ``compact`` would: the stream version and
    the other events' positions do not change. It is never silent: the first eviction in a stream
    emits an ``EventEvictionWarning`` naming the setting, and ``evicted_event_count`` counts every
    evicted event. An aggregate whose early events were evicted can only be rebuilt from a snapshot.

    ``schema_evolution`` is accepted for parity with the persistent stores, which upcast stored
    events of older schemas when they read them. This store keeps the appended objects themselves,
    never an older serialised form, so it has nothing to upcast and does not use it.
    """

    def __init__(
        self, schema_evolution: Any = None, max_events_per_stream: int = 10_000, *, outbox: bool = False
    ) -> None:
        super().__init__(schema_evolution)
        if isinstance(max_events_per_stream, bool) or not isinstance(max_events_per_stream, int):
            raise ValueError(f"max_events_per_stream must be an integer, got {max_events_per_stream!r}")
        if max_events_per_stream < 0:
            raise ValueError(
                f"max_events_per_stream must be >= 0 (0: unbounded), got {max_events_per_stream}"
            )
        self.max_events_per_stream = max_events_per_stream
        self.evicted_event_count = 0
        """How many events ``max_events_per_stream`` has evicted since the store was created or cleared."""
        self._streams: dict[str, MemoryStream] = {}
        self._log: list[Any] = []  # index = position - 1; None where an event was compacted away
        self._log_hashes: list[int] = []  # the stream hash of each position, for partitioning
        self._log_streams: list[str] = []  # the stream id of each position
        self._log_versions: list[int] = []  # the stream version of each position
        self._positions_by_type: dict[str, list[int]] = {}
        self._outbox = InMemoryOutboxStore() if outbox else None
        self.publishes_appended_events = outbox

    @classmethod
    def from_config(
        cls, config: InMemoryEventStoreConfig, schema_evolution: Any = None, *, outbox: bool = False
    ) -> Self:
        """Build a store from the ``memory`` section of ``EventsConfig``."""
        return cls(schema_evolution, max_events_per_stream=config.max_events_per_stream, outbox=outbox)

    @property
    def outbox(self) -> InMemoryOutboxStore:
        """The store's outbox, for relays; ``ConfigurationError`` without ``outbox=True``."""
        if self._outbox is None:
            raise ConfigurationError(
                "this InMemoryEventStore has no outbox; create it with InMemoryEventStore(outbox=True) "
                "(or set events.outbox_enabled) so appends record their events for a relay"
            )
        return self._outbox

    # --- synchronous helpers -------------------------------------------------------------------

    def get_all_streams(self) -> list[str]:
        """Return every stream id (the same list as ``get_stream_ids``)."""
        return list(self._streams)

    def get_global_position(self) -> int:
        """Return the highest global position assigned, 0 when nothing was ever appended."""
        return len(self._log)

    def clear(self) -> None:
        """Drop every stream and event; positions start again at 1."""
        self._streams.clear()
        self._log.clear()
        self._log_hashes.clear()
        self._log_streams.clear()
        self._log_versions.clear()
        self._positions_by_type.clear()
        self.evicted_event_count = 0
        if self._outbox is not None:
            self._outbox.clear()

    # --- primitives ----------------------------------------------------------------------------

    async def _append_to_stream(
        self, stream_id: str, events: list[DomainEvent], expected_version: int | None
    ) -> Appended:
        stream = self._streams.get(stream_id)
        ensure_expected_version(stream_id, expected_version, 0 if stream is None else stream.version)
        if stream is None:
            stream = self._streams[stream_id] = MemoryStream(stream_id)
        position, version = len(self._log), stream.version
        stored = [stored_copy(event, position + i, version + i) for i, event in enumerate(events, 1)]
        # Nothing below can fail, so the append is all or nothing.
        self._log.extend(stored)
        self._log_hashes.extend([stream.hash] * len(stored))
        self._log_streams.extend([stream_id] * len(stored))
        self._log_versions.extend(range(version + 1, version + 1 + len(stored)))
        by_type = self._positions_by_type
        for event_position, event in enumerate(stored, position + 1):
            positions = by_type.get(event.event_type)
            if positions is None:
                by_type[event.event_type] = [event_position]
            else:
                positions.append(event_position)
            if stream.aggregate_type is None and event.aggregate_type is not None:
                stream.aggregate_type = event.aggregate_type
        stream.events.extend(stored)
        stream.version = version + len(stored)
        if self._outbox is not None:
            self._outbox.record(stored, stream_id, position + 1, version + 1)
        if self.max_events_per_stream and len(stream.events) > self.max_events_per_stream:
            self._evict(stream, len(stream.events) - self.max_events_per_stream)
        return Appended(stream.version, stored)

    async def _read_stream(self, stream_id: str, read_range: ReadRange) -> list[Any]:
        stream = self._streams.get(stream_id)
        if stream is None:
            return []
        start, stop = stream.slice_indexes(read_range.first, read_range.last, read_range.limit)
        return stream.events[start:stop]

    async def _read_global(
        self, after_position: int, limit: int | None, partition: Partition | None
    ) -> list[Any]:
        log = self._log
        if partition is not None:
            return self._read_partition(after_position, limit, partition)
        if limit is None:
            return [event for event in log[after_position:] if event is not None]
        found: list[Any] = []
        index = after_position
        while index < len(log) and len(found) < limit:
            chunk = log[index : index + limit - len(found)]
            index += len(chunk)
            found.extend(event for event in chunk if event is not None)
        return found

    def _read_partition(self, after_position: int, limit: int | None, partition: Partition) -> list[Any]:
        log, hashes = self._log, self._log_hashes
        total, wanted = partition.total, partition.index
        found: list[Any] = []
        for index in range(after_position, len(log)):
            event = log[index]
            if event is not None and hashes[index] % total == wanted:
                found.append(event)
                if len(found) == limit:
                    break
        return found

    async def _read_global_envelopes(
        self, after_position: int, limit: int, partition: Partition | None
    ) -> list[EventEnvelope]:
        log, streams, versions = self._log, self._log_streams, self._log_versions
        hashes = self._log_hashes
        found: list[EventEnvelope] = []
        for index in range(after_position, len(log)):
            event = log[index]
            if event is None or (partition is not None and not partition.contains_hash(hashes[index])):
                continue
            found.append(EventEnvelope(event, streams[index], versions[index], index + 1))
            if len(found) == limit:
                break
        return found

    async def _read_by_type(self, names: frozenset[str], after_position: int, limit: int) -> list[Any]:
        log = self._log
        found: list[Any] = []
        for position in self._positions_after(names, after_position):
            event = log[position - 1]
            if event is not None:
                found.append(event)
                if len(found) == limit:
                    break
        return found

    def _positions_after(self, names: frozenset[str], after_position: int) -> Iterator[int]:
        sources = [self._positions_by_type[name] for name in names if name in self._positions_by_type]

        def tail(positions: list[int]) -> Iterator[int]:
            for index in range(bisect_right(positions, after_position), len(positions)):
                yield positions[index]

        if len(sources) == 1:
            return tail(sources[0])
        return merge(*(tail(positions) for positions in sources))

    async def _get_stream_version(self, stream_id: str) -> int:
        stream = self._streams.get(stream_id)
        return 0 if stream is None else stream.version

    async def _get_stream_info(self, stream_id: str) -> StreamInfo | None:
        stream = self._streams.get(stream_id)
        if stream is None:
            return None
        events = stream.events
        return StreamInfo(
            stream_id=stream_id,
            version=stream.version,
            event_count=len(events),
            created_at=events[0].occurred_at if events else None,
            updated_at=events[-1].occurred_at if events else None,
            aggregate_type=stream.aggregate_type,
        )

    async def _compact(self, stream_id: str, up_to_version: int) -> int:
        stream = self._streams.get(stream_id)
        if stream is None:
            return 0
        return self._remove_oldest(stream, stream.count_up_to(up_to_version))

    async def _list_stream_ids(self) -> list[str]:
        return list(self._streams)

    # --- removal -------------------------------------------------------------------------------

    def _remove_oldest(self, stream: MemoryStream, count: int) -> int:
        if count <= 0:
            return 0
        log = self._log
        for event in stream.events[:count]:
            log[event.sequence_number - 1] = None
        del stream.events[:count]
        stream.first_version += count
        return count

    def _evict(self, stream: MemoryStream, count: int) -> None:
        self.evicted_event_count += self._remove_oldest(stream, count)
        if not stream.eviction_reported:
            stream.eviction_reported = True
            warnings.warn(
                f"InMemoryEventStore: stream '{stream.stream_id}' went over max_events_per_stream="
                f"{self.max_events_per_stream}, so its oldest events were removed as by compact() (the "
                "stream version is unchanged). Raise the limit or pass max_events_per_stream=0 to keep "
                "every event.",
                EventEvictionWarning,
                stacklevel=5,
            )
