"""The side-by-side: the same workloads through the ``eventsourcing`` package (PyPI), public API only.

Import this module only when the package is installed (``BenchContext.eventsourcing``).

Closest equivalents, configured through its documented environment variables:

* appends and reads: its ``EventStore`` (a ``Mapper`` with its ``JSONTranscoder``, plus the
  ``UUIDAsHex`` and ``DatetimeAsISO`` transcodings an ``Application`` registers) over the
  application recorder of its persistence module (``eventsourcing.sqlite`` or
  ``eventsourcing.postgres``). Its optimistic concurrency is the unique (originator id, version)
  key: an ``IntegrityError`` is the conflict. The version is read with
  ``recorder.select_events(id, desc=True, limit=1)``; the global log with
  ``recorder.select_notifications`` in batches, each notification mapped to its domain event.
* aggregate loading (W5): an ``Application`` and an ``Aggregate`` whose ``@event`` method folds the
  same fields, ``repository.get`` with snapshotting off (replay) and on (``take_snapshot``).

Its events are frozen dataclasses that carry their aggregate id (a UUID: ``uuid5`` of our stream
id) and version, so they are built with the version they will have, before timing, except in W3
where the version is only known after the read (built inside the timed attempt, ~2 µs each). The
package is synchronous: it is called directly, except by W3's concurrent writers, which each get a
thread. It runs against the same PostgreSQL server and in a SQLite file of its own; its SQLite
connections keep SQLite's default ``synchronous=FULL`` (an fsync per commit in WAL mode), where
ours use ``NORMAL``.
"""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from typing import Any, TypeVar
from urllib.parse import unquote, urlsplit

from eventsourcing.application import Application
from eventsourcing.domain import Aggregate, DomainEvent, event
from eventsourcing.persistence import (
    DatetimeAsISO,
    EventStore,
    InfrastructureFactory,
    IntegrityError,
    JSONTranscoder,
    UUIDAsHex,
)
from eventsourcing.utils import Environment

from bench.common import EVENTSOURCING, ItemOrdered
from bench.context import POSTGRES, SQLITE, BenchContext
from bench.raw_postgres import drop_tables
from bench.sides import Conflict, Planned

T = TypeVar("T")

_NAMESPACE = uuid.UUID("6f1c1b1e-8a56-4d7c-9a8e-7f1f2c3d4e5f")


def installed_version() -> str:
    """The installed eventsourcing version."""
    from importlib.metadata import version

    return version("eventsourcing")


def environment_for(context: BenchContext, backend: str, tag: str, pool_size: int = 2) -> dict[str, str]:
    """The eventsourcing environment variables for a backend of this run."""
    if backend == SQLITE:
        return {"PERSISTENCE_MODULE": "eventsourcing.sqlite", "SQLITE_DBNAME": context.sqlite_file(tag)}
    if backend == POSTGRES:
        assert context.pg is not None
        parts = urlsplit(context.pg.dsn)
        return {
            "PERSISTENCE_MODULE": "eventsourcing.postgres",
            "POSTGRES_DBNAME": unquote(parts.path.lstrip("/")),
            "POSTGRES_HOST": parts.hostname or "127.0.0.1",
            "POSTGRES_PORT": str(parts.port or 5432),
            "POSTGRES_USER": unquote(parts.username or "postgres"),
            "POSTGRES_PASSWORD": unquote(parts.password or ""),
            "POSTGRES_POOL_SIZE": str(pool_size),
        }
    return {"PERSISTENCE_MODULE": "eventsourcing.popo"}


class EsItemOrdered(DomainEvent):
    """The benchmark event, as an eventsourcing domain event."""

    order_id: str
    sku: str
    qty: int
    price: str
    note: str


def stream_uuid(stream_id: str) -> uuid.UUID:
    """The eventsourcing originator id standing for one of our stream ids."""
    return uuid.uuid5(_NAMESPACE, stream_id)


class EventsourcingSide:
    """eventsourcing's EventStore over its SQLite or PostgreSQL application recorder."""

    subject = EVENTSOURCING

    def __init__(self, context: BenchContext, backend: str, tag: str, threads: int = 0) -> None:
        self.backend = backend
        self.tag = tag
        self.dsn = context.pg.dsn if context.pg is not None else ""
        self.env = environment_for(context, backend, tag, pool_size=max(threads, 1) + 1)
        self._threads = threads
        self._executor: ThreadPoolExecutor | None = None
        self._streams: dict[uuid.UUID, str] = {}
        self.factory: Any = None
        self.recorder: Any = None
        self.store: Any = None

    async def open(self) -> None:
        """Build the infrastructure factory, mapper, recorder (creating its table) and event store."""
        self.factory = InfrastructureFactory.construct(Environment(self.tag, self.env))
        transcoder = JSONTranscoder()
        transcoder.register(UUIDAsHex())
        transcoder.register(DatetimeAsISO())
        self.recorder = self.factory.application_recorder()
        self.store = EventStore(self.factory.mapper(transcoder=transcoder), self.recorder)
        if self._threads:
            self._executor = ThreadPoolExecutor(max_workers=self._threads, thread_name_prefix="es-writer")

    async def close(self) -> None:
        """Close the factory (its connections) and drop its tables."""
        if self._executor is not None:
            self._executor.shutdown(wait=True)
        if self.factory is not None:
            self.factory.close()
        if self.backend == POSTGRES:
            await drop_tables(self.dsn, self.tag.lower())

    async def _call(self, work: Callable[[], T]) -> T:
        if self._executor is None:
            return work()
        return await asyncio.get_running_loop().run_in_executor(self._executor, work)

    def _uuid(self, stream_id: str) -> uuid.UUID:
        key = stream_uuid(stream_id)
        self._streams[key] = stream_id
        return key

    def prepare(self, appends: list[Planned]) -> list[list[Any]]:
        """Build the domain events when the version is known; else keep the fields for later."""
        cls = EsItemOrdered
        prepared: list[list[Any]] = []
        for stream_id, version, events in appends:
            key = self._uuid(stream_id)
            if version is None:
                prepared.append([_fields(item) for item in events])
                continue
            prepared.append(
                [
                    cls(
                        originator_id=key,
                        originator_version=number,
                        timestamp=cls.create_timestamp(),
                        **_fields(item),
                    )
                    for number, item in enumerate(events, version + 1)
                ]
            )
        return prepared

    async def append(self, stream_id: str, items: list[Any], expected_version: int) -> None:
        """``EventStore.put``; a duplicate (id, version) is the conflict."""
        cls = EsItemOrdered
        key = stream_uuid(stream_id)
        events = items
        if items and isinstance(items[0], dict):
            events = [
                cls(
                    originator_id=key,
                    originator_version=number,
                    timestamp=cls.create_timestamp(),
                    **fields,
                )
                for number, fields in enumerate(items, expected_version + 1)
            ]
        try:
            await self._call(lambda: self.store.put(events))
        except IntegrityError as exc:
            raise Conflict(stream_id) from exc

    async def version(self, stream_id: str) -> int:
        """The version of the stream's last stored event."""
        key = stream_uuid(stream_id)
        last = await self._call(lambda: self.recorder.select_events(key, desc=True, limit=1))
        return int(last[0].originator_version) if last else 0

    async def read_stream(self, stream_id: str) -> list[Any]:
        """``EventStore.get``: its domain events."""
        return list(self.store.get(stream_uuid(stream_id)))

    async def read_all(self, batch_size: int) -> int:
        """``select_notifications`` in batches from the start, each mapped to its domain event."""
        select, decode = self.recorder.select_notifications, self.store.mapper.to_domain_event
        after, count = 0, 0
        while True:
            batch = select(after, batch_size, inclusive_of_start=False)
            decoded = [decode(notification) for notification in batch]
            count += len(decoded)
            if len(batch) < batch_size:
                return count
            after = batch[-1].id

    async def stored(self) -> list[tuple[str, int, str]]:
        """Every stored event, for the lost-event check."""
        decode = self.store.mapper.to_domain_event
        rows: list[tuple[str, int, str]] = []
        after = 0
        while True:
            batch = self.recorder.select_notifications(after, 1000, inclusive_of_start=False)
            for notification in batch:
                stored = decode(notification)
                rows.append((self._streams[stored.originator_id], stored.originator_version, stored.order_id))
            if len(batch) < 1000:
                return rows
            after = batch[-1].id


def _fields(item: ItemOrdered) -> dict[str, Any]:
    return {
        "order_id": item.order_id,
        "sku": item.sku,
        "qty": item.qty,
        "price": item.price,
        "note": item.note,
    }


# --- W5: an Application and an Aggregate -----------------------------------------------------------


class EsBasket(Aggregate):
    """The W5 aggregate in eventsourcing: the same fold as lexigram's ``Basket``."""

    def __init__(self) -> None:
        self.items = 0
        self.quantity = 0
        self.last_sku = ""

    @event("ItemOrdered")
    def order(self, order_id: str, sku: str, qty: int, price: str, note: str) -> None:
        """Order an item."""
        self.items += 1
        self.quantity += qty
        self.last_sku = sku


class BasketApplication:
    """An eventsourcing ``Application`` holding one basket of ``count`` orders, snapshotting enabled.

    Loads go through ``app.repository.get``; before ``take_snapshot`` they replay every event
    (the created event and the ``count`` orders), after it they start from the snapshot.
    """

    def __init__(self, context: BenchContext, backend: str, tag: str) -> None:
        self.backend = backend
        self.tag = tag
        self.dsn = context.pg.dsn if context.pg is not None else ""
        self.env = {**environment_for(context, backend, tag), "IS_SNAPSHOTTING_ENABLED": "y"}
        self.app: Any = None
        self.basket_id: uuid.UUID | None = None

    def open(self, events: list[ItemOrdered]) -> None:
        """Create the application and save a basket with one order per event."""
        application = type(self.tag, (Application,), {"name": self.tag})
        self.app = application(env=self.env)
        basket = EsBasket()
        for item in events:
            basket.order(**_fields(item))
        self.app.save(basket)
        self.basket_id = basket.id

    def load(self) -> EsBasket:
        """``repository.get`` the basket."""
        basket: EsBasket = self.app.repository.get(self.basket_id)
        return basket

    def snapshot(self) -> None:
        """``take_snapshot`` of the basket at its current version."""
        self.app.take_snapshot(self.basket_id)

    async def close(self) -> None:
        """Close the application and drop its tables."""
        if self.app is not None:
            self.app.close()
        if self.backend == POSTGRES:
            await drop_tables(self.dsn, self.tag.lower())
