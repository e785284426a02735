"""``RedisEventStore``: the event-store contract on a Redis server, through ``StateStoreProtocol``.

Every write is one Lua script, which Redis runs atomically: the append script checks the expected
version, takes the next global positions from a counter and writes the events, so concurrent
appends can neither duplicate nor skip a version, positions are gapless (1, 2, 3, ...) and the
global log is in commit order. The global log is a Redis stream whose entry ids are the positions,
so ``stream_all`` reads it in order from any position in O(log n); each stream keeps a sorted set of
its positions by version, so ``read`` finds a version range directly. ``keys`` describes the layout.

Durability is the server's: with Redis's default snapshotting, a crash loses the writes since the
last snapshot. Run Redis with ``appendonly yes`` (and ``appendfsync always`` when no acknowledged
append may be lost) to keep events safe.
"""

from __future__ import annotations

from datetime import datetime
from typing import TYPE_CHECKING, Any, Self
from uuid import UUID

from lexigram.contracts.events.records import EventEnvelope, StreamInfo
from lexigram.contracts.exceptions import ConfigurationError
from lexigram.contracts.messages import DomainEvent
from lexigram.contracts.state import ScriptArgument, StateStoreProtocol
from lexigram.events.exceptions import ConcurrencyError
from lexigram.events.stores.arguments import ReadRange, stream_key
from lexigram.events.stores.base import AbstractEventStore, Appended
from lexigram.events.stores.finding import TypeQuery
from lexigram.events.stores.partitioning import Partition, stream_hash
from lexigram.events.stores.redis import scripts
from lexigram.events.stores.redis.keys import RedisKeys
from lexigram.events.stores.serialization import EventCodec
from lexigram.events.stores.stamping import stored_copy

if TYPE_CHECKING:
    from lexigram.contracts.events.stores import EventSerializerProtocol
    from lexigram.events.config import RedisEventStoreConfig

__all__ = ["RedisEventStore"]

_SCAN_BUDGET = 1000  # log entries one scan script reads at most, so no call blocks the server long
_NO_LIMIT = -1


def _text(value: bytes | str) -> str:
    return value.decode() if isinstance(value, bytes) else value


class RedisEventStore(AbstractEventStore):
    """Redis-backed event store with atomic appends and a gapless global log.

    Example::

        from lexigram.events.stores.redis import RedisEventStore, RedisStateStore

        store = RedisEventStore(RedisStateStore("redis://127.0.0.1:6379/0"), namespace="myapp:events")
        await store.append("order-123", [OrderCreated(order_id="order-123")])
        events = await store.read("order-123")

    ``store`` is any ``StateStoreProtocol``; this class depends on no Redis client. It does not own
    a store it is given, so ``close()`` leaves it open; ``from_url`` builds a store that owns its
    ``RedisStateStore`` and closes it. ``namespace`` prefixes every key, so several stores can
    share a server. Redis 6.2 or newer is needed.
    """

    def __init__(
        self,
        store: StateStoreProtocol,
        namespace: str = "lexigram:events",
        *,
        event_serializer: EventSerializerProtocol | None = None,
        schema_evolution: Any = None,
    ) -> None:
        super().__init__(schema_evolution)
        if not callable(getattr(store, "run_script", None)):
            raise TypeError(f"RedisEventStore needs a StateStoreProtocol (with run_script), got {store!r}")
        self.state_store = store
        """The key-value server the events live in."""
        self.namespace = namespace
        """The prefix of every key of this store."""
        self._keys = RedisKeys(namespace)
        self._codec = EventCodec(event_serializer, schema_evolution)
        self._use_serializer_hooks(self._codec.serializer)
        self._owns_store = False

    @classmethod
    def from_url(
        cls,
        url: str,
        namespace: str = "lexigram:events",
        *,
        event_serializer: EventSerializerProtocol | None = None,
        schema_evolution: Any = None,
    ) -> Self:
        """Build a store with its own ``RedisStateStore``, which ``close()`` closes."""
        from lexigram.events.stores.redis.state_store import RedisStateStore

        store = cls(
            RedisStateStore(url),
            namespace,
            event_serializer=event_serializer,
            schema_evolution=schema_evolution,
        )
        store._owns_store = True
        return store

    @classmethod
    def from_config(cls, config: RedisEventStoreConfig, schema_evolution: Any = None) -> Self:
        """Build a store from the ``redis`` section of ``EventsConfig`` (it owns its connection)."""
        if config.url is None:
            raise ConfigurationError("the redis section has no url; set events.redis.url")
        return cls.from_url(
            config.url.get_secret_value(), config.namespace, schema_evolution=schema_evolution
        )

    def __repr__(self) -> str:
        return f"RedisEventStore({self.state_store!r}, namespace={self.namespace!r})"

    # --- lifecycle and extras ------------------------------------------------------------------

    async def connect(self) -> None:
        """Check that the server answers (when the state store can tell)."""
        connect = getattr(self.state_store, "connect", None)
        if callable(connect):
            await connect()

    async def close(self) -> None:
        """Close the state store when this store created it (``from_url``); otherwise do nothing."""
        if self._owns_store:
            await self.state_store.close()

    def register_event_type(self, name: str, cls: type[DomainEvent]) -> None:
        """Read stored events of type ``name`` as instances of ``cls``."""
        self._codec.register_event_type(name, cls)

    async def delete_stream(self, stream_id: str | UUID) -> int:
        """Delete a stream and all its events; return how many events were deleted.

        Unlike ``compact``, the stream is forgotten: its version goes back to 0, so it can be
        created again (with ``expected_version=0``). Use it to erase data, not to trim history.
        """
        key = stream_key(stream_id)
        deleted = await self._run(scripts.DELETE_STREAM, self._keys.of_stream(key), [key])
        return int(deleted)

    async def get_events_count(self, stream_id: str | UUID | None = None) -> int:
        """Return how many events are stored, in one stream or (None) in the whole store."""
        key = self._keys.log if stream_id is None else self._keys.events(stream_key(stream_id))
        return int(await self._run(scripts.COUNT, [key], []))

    async def find_by_type(
        self,
        event_type: str | type,
        count: int | None = None,
        start: int | None = None,
        *,
        limit: int | None = None,
        offset: int | None = None,
    ) -> list[Any]:
        """Return up to ``count`` (default 100) events of one type, skipping the first ``start``.

        The events are in global order; ``limit`` and ``offset`` are aliases of ``count`` and ``start``.
        """
        query = TypeQuery.from_arguments(event_type, count, start, limit, offset)
        if query.limit == 0:
            return []
        found = await self._scan(0, query.skip + query.limit, None, [query.event_type])
        return found[query.skip :]

    # --- primitives ----------------------------------------------------------------------------

    async def _append_to_stream(
        self, stream_id: str, events: list[DomainEvent], expected_version: int | None
    ) -> Appended:
        encode = self._codec.encode
        aggregate_type = next((e.aggregate_type for e in events if e.aggregate_type), "")
        args: list[ScriptArgument] = [
            stream_id,
            -1 if expected_version is None else expected_version,
            stream_hash(stream_id),
            aggregate_type,
        ]
        for event in events:
            args += [event.event_type, event.occurred_at.isoformat(), encode(event)]
        reply = await self._run(scripts.APPEND, self._keys.of_stream(stream_id), args)
        if int(reply[0]) == 0:
            raise ConcurrencyError(stream_id, expected_version, int(reply[1]))
        version, first = int(reply[1]), int(reply[2])
        base = version - len(events)
        stored = [stored_copy(event, first + i, base + 1 + i) for i, event in enumerate(events)]
        return Appended(version, stored)

    async def _read_stream(self, stream_id: str, read_range: ReadRange) -> list[Any]:
        last = "+inf" if read_range.last is None else read_range.last
        limit = _NO_LIMIT if read_range.limit is None else read_range.limit
        keys = [self._keys.events(stream_id), self._keys.log]
        rows = await self._run(scripts.READ_STREAM, keys, [read_range.first, last, limit])
        return self._decode_rows(rows)

    async def _read_global(
        self, after_position: int, limit: int | None, partition: Partition | None
    ) -> list[Any]:
        return await self._scan(after_position, limit, partition, [])

    async def _read_global_envelopes(
        self, after_position: int, limit: int, partition: Partition | None
    ) -> list[EventEnvelope]:
        return await self._scan(after_position, limit, partition, [], envelopes=True)

    async def _read_by_type(self, names: frozenset[str], after_position: int, limit: int) -> list[Any]:
        return await self._scan(after_position, limit, None, sorted(names))

    async def _get_stream_version(self, stream_id: str) -> int:
        value = await self.state_store.get(self._keys.version(stream_id))
        return 0 if value is None else int(value)

    async def _get_stream_info(self, stream_id: str) -> StreamInfo | None:
        keys = self._keys
        found = await self._run(
            scripts.STREAM_INFO,
            [keys.version(stream_id), keys.events(stream_id), keys.info(stream_id), keys.log],
            [],
        )
        if found is None:
            return None
        version, count, first_at, last_at, aggregate_type = found
        return StreamInfo(
            stream_id=stream_id,
            version=int(version),
            event_count=int(count),
            created_at=None if first_at is None else datetime.fromisoformat(_text(first_at)),
            updated_at=None if last_at is None else datetime.fromisoformat(_text(last_at)),
            aggregate_type=None if aggregate_type is None else _text(aggregate_type),
        )

    async def _compact(self, stream_id: str, up_to_version: int) -> int:
        keys = [self._keys.events(stream_id), self._keys.log]
        return int(await self._run(scripts.COMPACT, keys, [up_to_version]))

    async def _list_stream_ids(self) -> list[str]:
        ids: list[str] = []
        cursor: bytes | str = "0"
        while True:
            cursor, batch = await self._run(scripts.SCAN_STREAM_IDS, [self._keys.streams], [cursor])
            ids.extend(_text(stream_id) for stream_id in batch)
            if _text(cursor) == "0":
                return list(dict.fromkeys(ids))  # SSCAN may return an id twice

    # --- helpers -------------------------------------------------------------------------------

    async def _run(self, script: str, keys: list[str], args: list[ScriptArgument]) -> Any:
        return await self.state_store.run_script(script, keys, args)

    async def _scan(
        self,
        after: int,
        limit: int | None,
        partition: Partition | None,
        types: list[str],
        *,
        envelopes: bool = False,
    ) -> list[Any]:
        """Read the log after a position, keeping the partition's events of the types (all when empty).

        With ``envelopes``, each event comes in an ``EventEnvelope`` with its stream and version.
        """
        found: list[Any] = []
        total, index = (0, 0) if partition is None else (partition.total, partition.index)
        script = scripts.SCAN_LOG_ENVELOPES if envelopes else scripts.SCAN_LOG
        decode = self._decode_envelopes if envelopes else self._decode_rows
        while True:
            wanted = _NO_LIMIT if limit is None else limit - len(found)
            last, exhausted, rows = await self._run(
                script, [self._keys.log], [after, wanted, _SCAN_BUDGET, total, index, *types]
            )
            found += decode(rows)
            if int(exhausted) or (limit is not None and len(found) >= limit):
                return found
            after = int(last)

    def _decode_rows(self, rows: list[Any]) -> list[Any]:
        decode = self._codec.decode
        return [decode(rows[i + 2], int(rows[i]), int(rows[i + 1])) for i in range(0, len(rows), 3)]

    def _decode_envelopes(self, rows: list[Any]) -> list[EventEnvelope]:
        decode = self._codec.decode
        envelopes: list[EventEnvelope] = []
        for i in range(0, len(rows), 4):
            position, version = int(rows[i]), int(rows[i + 1])
            event = decode(rows[i + 2], position, version)
            envelopes.append(EventEnvelope(event, _text(rows[i + 3]), version, position))
        return envelopes
