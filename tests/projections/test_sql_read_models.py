"""SQL read models on SQLite and PostgreSQL: rows commit with the checkpoint, live across stores,
failures never leave half a batch, and a new version replaces the old one without downtime."""

from __future__ import annotations

import asyncio
from typing import Any

from lexigram.contracts.domain import DomainEvent
from lexigram.events.config import ProjectionsConfig
from lexigram.events.projections import ErrorPolicy, ProjectionManager
from lexigram.events.types import ProjectionState

from .backends import Backend


class SummaryOrderPlaced(DomainEvent):
    order_id: str
    customer: str
    total: int


class SummaryOrderShipped(DomainEvent):
    order_id: str


class OrderSummary:
    """The documented order-summary read model, in SQL, written through the checkpoint's session."""

    name = "order_summary"

    def __init__(self, backend: Backend, table: str = "{t}_order_summary") -> None:
        self.backend = backend
        self.table = table
        self.fail_on: str | None = None

    async def create(self, session: Any) -> None:
        await session.execute(
            self.backend.sql(
                f"CREATE TABLE IF NOT EXISTS {self.table} "
                "(order_id TEXT PRIMARY KEY, customer TEXT NOT NULL, total INTEGER NOT NULL, "
                "status TEXT NOT NULL)"
            )
        )

    async def apply(self, event: SummaryOrderPlaced | SummaryOrderShipped, session: Any) -> None:
        if event.order_id == self.fail_on:
            raise RuntimeError(f"cannot summarise {event.order_id}")
        await self.create(session)
        sql = self.backend.sql
        if isinstance(event, SummaryOrderPlaced):
            await session.execute(
                sql(
                    f"INSERT INTO {self.table} (order_id, customer, total, status) VALUES (?, ?, ?, 'placed')"
                ),
                event.order_id,
                event.customer,
                event.total,
            )
        else:
            await session.execute(
                sql(f"UPDATE {self.table} SET status = 'shipped' WHERE order_id = ?"), event.order_id
            )

    async def reset(self, session: Any) -> None:
        await session.execute(self.backend.sql(f"DROP TABLE IF EXISTS {self.table}"))


def settings(**changes: Any) -> ProjectionsConfig:
    values: dict[str, Any] = {"batch_size": 20, "poll_interval": 0.05}
    values.update(changes)
    return ProjectionsConfig(**values)


async def place(store: Any, first: int, count: int) -> None:
    for number in range(first, first + count):
        order = f"o-{number:04d}"
        await store.append(
            order, [SummaryOrderPlaced(order_id=order, customer=f"c-{number % 7}", total=number)]
        )


async def rows(backend: Backend, table: str = "{t}_order_summary") -> list[tuple[Any, ...]]:
    async with backend.checkpoint_store.transaction() as transaction:
        return await transaction.session.fetch(
            backend.sql(f"SELECT order_id, customer, total, status FROM {table} ORDER BY order_id")
        )


async def test_the_read_model_and_its_checkpoint_commit_together(backend: Backend) -> None:
    store = backend.event_store
    await place(store, 0, 45)
    await store.append("o-0003", [SummaryOrderShipped(order_id="o-0003")])
    manager = ProjectionManager(store, backend.checkpoint_store, config=settings())
    manager.register(OrderSummary(backend))
    await manager.start()
    await manager.wait_until_live()
    summary = await rows(backend)
    assert len(summary) == 45
    assert summary[3] == ("o-0003", "c-3", 3, "shipped")
    last = (await store.read_envelopes(0, 1000))[-1]
    checkpoint = await backend.checkpoint_store.load("order_summary")
    assert checkpoint.position == last.position  # recorded in the read model's own transactions

    await place(store, 45, 5)  # live: delivered without a restart
    (newest,) = (await store.read_envelopes(last.position, 10))[-1:]
    await manager.wait_for_position(newest.position)
    assert len(await rows(backend)) == 50
    await manager.stop()


async def test_a_failing_event_leaves_no_half_batch_and_a_fix_resumes_exactly_once(backend: Backend) -> None:
    store = backend.event_store
    await place(store, 0, 30)
    projection = OrderSummary(backend)
    projection.fail_on = "o-0017"
    manager = ProjectionManager(store, backend.checkpoint_store, config=settings(batch_size=50))
    manager.register(projection)
    await manager.start()
    await asyncio.sleep(0.3)
    status = await manager.get_status("order_summary")
    assert status["state"] is ProjectionState.FAULTED
    assert "cannot summarise o-0017" in status["error"]
    assert [row[0] for row in await rows(backend)] == [f"o-{n:04d}" for n in range(17)]
    envelopes = await store.read_envelopes(0, 100)
    assert (await backend.checkpoint_store.load("order_summary")).position == envelopes[16].position

    projection.fail_on = None
    await manager.retry("order_summary")
    await manager.wait_until_live()
    assert len(await rows(backend)) == 30  # the primary key would have refused a second insert
    await manager.stop()


async def test_an_append_from_another_store_instance_reaches_the_projection(backend: Backend) -> None:
    store = backend.event_store
    # On PostgreSQL the wake-up crosses connections (LISTEN/NOTIFY): a long poll proves it.
    poll = 30.0 if backend.name == "postgres" else 0.05
    manager = ProjectionManager(store, backend.checkpoint_store, config=settings(poll_interval=poll))
    manager.register(OrderSummary(backend))
    await place(store, 0, 1)
    await manager.start()
    await manager.wait_until_live()
    other = backend.new_event_store()
    await other.connect()
    try:
        await place(other, 1, 1)
        newest = (await other.read_envelopes(0, 10))[-1]
        await manager.wait_for_position(newest.position, max_wait=5.0)
    finally:
        await other.close()
    assert [row[0] for row in await rows(backend)] == ["o-0000", "o-0001"]
    await manager.stop()


async def test_a_batch_projection_writes_a_whole_batch_with_executemany(backend: Backend) -> None:
    class Totals:
        name = "totals"
        handles = (SummaryOrderPlaced,)

        async def apply_batch(self, events: list[SummaryOrderPlaced], session: Any) -> None:
            await session.execute(
                backend.sql(
                    "CREATE TABLE IF NOT EXISTS {t}_totals (order_id TEXT PRIMARY KEY, total INTEGER)"
                )
            )
            await session.executemany(
                backend.sql("INSERT INTO {t}_totals (order_id, total) VALUES (?, ?)"),
                [(event.order_id, event.total) for event in events],
            )

    store = backend.event_store
    await place(store, 0, 95)
    manager = ProjectionManager(store, backend.checkpoint_store, config=settings(batch_size=40))
    manager.register(Totals())
    await manager.start()
    await manager.wait_until_live()
    await manager.stop()
    async with backend.checkpoint_store.transaction() as transaction:
        (count,) = (await transaction.session.fetch(backend.sql("SELECT count(*) FROM {t}_totals")))[0]
    assert count == 95


async def test_a_poison_event_is_parked_durably_and_survives_a_restart(backend: Backend) -> None:
    store = backend.event_store
    await place(store, 0, 5)
    await store.append("o-0002", [SummaryOrderShipped(order_id="o-0002")])
    projection = OrderSummary(backend)
    projection.fail_on = "o-0002"
    manager = ProjectionManager(
        store, backend.checkpoint_store, config=settings(), default_error_policy=ErrorPolicy.skip()
    )
    manager.register(projection)
    await manager.start()
    await manager.wait_until_live()
    await manager.stop()
    assert [row[0] for row in await rows(backend)] == ["o-0000", "o-0001", "o-0003", "o-0004"]

    projection.fail_on = None
    restarted = ProjectionManager(store, backend.new_checkpoint_store(), config=settings())
    restarted.register(projection)
    parked = await restarted.list_parked("order_summary")
    assert [(p.stream_id, p.blocked_by is None) for p in parked] == [("o-0002", True), ("o-0002", False)]
    assert await restarted.retry_parked("order_summary", parked[0].position) is True
    summary = {row[0]: row[3] for row in await rows(backend)}
    assert summary["o-0002"] == "shipped"  # placed, then shipped: the stream's order was kept
    await restarted.close()


async def test_a_new_version_replaces_the_old_read_model_without_downtime(backend: Backend) -> None:
    """Readers query a view; version 2 builds its own table while writers append, then the view moves."""

    class Summary(OrderSummary):
        def __init__(self, version: int) -> None:
            super().__init__(backend, table=f"{{t}}_order_summary_v{version}")
            self.version = version

        async def activate(self, session: Any) -> None:
            await self.create(session)
            await session.execute(backend.sql("DROP VIEW IF EXISTS {t}_orders"))
            await session.execute(backend.sql(f"CREATE VIEW {{t}}_orders AS SELECT * FROM {self.table}"))

    store = backend.event_store
    await place(store, 0, 200)
    v1 = ProjectionManager(store, backend.checkpoint_store, config=settings(batch_size=50))
    v1.register(Summary(1))
    await v1.start()
    await v1.wait_until_live()

    seen: list[int] = []
    stop = asyncio.Event()

    async def reader() -> None:
        other = backend.new_checkpoint_store()
        await other.connect()
        try:
            while not stop.is_set():
                async with other.transaction() as transaction:
                    result = await transaction.session.fetch(backend.sql("SELECT count(*) FROM {t}_orders"))
                seen.append(int(result[0][0]))
                await asyncio.sleep(0.005)
        finally:
            await other.close()

    async def writer() -> None:
        await place(store, 200, 100)

    reading = asyncio.create_task(reader())
    await asyncio.sleep(0.05)
    await v1.stop()  # the old version's process goes away; its read model keeps serving
    v2 = ProjectionManager(store, backend.checkpoint_store, config=settings(batch_size=50))
    v2.register(Summary(2))
    await asyncio.gather(writer(), v2.start())
    await v2.wait_until_live()
    final = (await store.read_envelopes(0, 1000))[-1].position
    await v2.wait_for_position(final)
    await asyncio.sleep(0.05)
    stop.set()
    await reading
    await v2.stop()
    assert seen, "the reader ran"
    assert min(seen) >= 200  # never empty, never a partial new version
    assert seen == sorted(seen)  # the count never went backwards
    assert seen[-1] == 300
    status = await v2.get_status("order_summary")
    assert status["version"] == 2


async def test_no_gap_and_no_duplicate_while_writers_append_during_catch_up(backend: Backend) -> None:
    class Positions:
        name = "positions"

        def __init__(self) -> None:
            self.seen: list[int] = []

        def apply(self, event: SummaryOrderPlaced) -> None:
            assert event.sequence_number is not None
            self.seen.append(event.sequence_number)

    store = backend.event_store
    await place(store, 0, 300)
    manager = ProjectionManager(store, backend.checkpoint_store, config=settings(batch_size=25))
    positions = Positions()
    manager.register(positions)

    async def writer(first: int) -> None:
        for number in range(first, first + 40):
            await place(store, number, 1)
            await asyncio.sleep(0)

    await asyncio.gather(manager.start(), *(writer(1000 * w) for w in range(1, 5)))
    everything = [e.position for e in await store.read_envelopes(0, 10_000)]
    assert len(everything) == 460
    await manager.wait_for_position(everything[-1])
    await manager.stop()
    assert positions.seen == everything  # each event once, in global order, across the switch to live
