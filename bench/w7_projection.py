"""W7 projection: a checkpointed projection writing a SQL read model consumes 100,000 events.

The log is filled (not timed) with 10,000 streams of 10 ``ItemOrdered`` events, as in W6.

Ours: a ``ProjectionManager`` with the backend's checkpoint store in the same database and a
transactional ``apply_batch(events, session)`` projection that writes one read-model row per
event with ``session.executemany`` (an upsert into ``order_lines``); each batch of 1,000 events
commits with its checkpoint. Timed from ``start()`` until ``wait_until_live()`` returns.

Raw baselines, measured in the same run on a raw-filled copy of the log:

* W6's raw read rate: keyset reads of 1,000 rows, ``orjson.loads`` per payload (the target:
  ours at >= 50 % of it);
* raw catch-up with the same writes: per batch, one transaction with the keyset read, the
  decoded payloads upserted with ``executemany`` and a checkpoint row updated.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import orjson

from bench.common import LEXIGRAM, RAW, Figure, clock, interleaved
from bench.context import POSTGRES, BenchContext
from bench.lexigram_side import LexigramSide
from bench.lineup import figures, side_factories
from bench.w6_catch_up import BATCH, _fill
from lexigram.events import ProjectionManager, ProjectionsConfig, SqliteConfig

NAME = "W7 projection"


@dataclass(frozen=True)
class ReadModel:
    """One read-model shape: its table, its upsert, and the rows a batch becomes."""

    label: str
    create: str
    upsert: str
    rows: Callable[[list[tuple[str, str, int]]], list[tuple[Any, ...]]]
    count: str

    def sql(self, table: str, postgres: bool) -> tuple[str, str, str]:
        """CREATE, upsert and count statements for ``table`` in the backend's placeholder style."""
        upsert = self.upsert.format(t=table)
        if postgres:
            parts = upsert.split("?")
            upsert = "".join(p + (f"${i}" if i < len(parts) else "") for i, p in enumerate(parts, 1))
        return self.create.format(t=table), upsert, self.count.format(t=table)


def _lines(items: list[tuple[str, str, int]]) -> list[tuple[Any, ...]]:
    return items


def _sku_deltas(items: list[tuple[str, str, int]]) -> list[tuple[Any, ...]]:
    totals: dict[str, list[int]] = {}
    for _order, sku, qty in items:
        entry = totals.get(sku)
        if entry is None:
            totals[sku] = [qty, 1]
        else:
            entry[0] += qty
            entry[1] += 1
    return [(sku, qty, orders) for sku, (qty, orders) in totals.items()]


MODELS = (
    ReadModel(
        "a row per event",
        "CREATE TABLE {t} (order_id TEXT PRIMARY KEY, sku TEXT NOT NULL, qty INTEGER NOT NULL)",
        "INSERT INTO {t} (order_id, sku, qty) VALUES (?, ?, ?) "
        "ON CONFLICT (order_id) DO UPDATE SET sku = excluded.sku, qty = excluded.qty",
        _lines,
        "SELECT count(*) FROM {t}",
    ),
    ReadModel(
        "SKU totals, batched deltas",
        "CREATE TABLE {t} (sku TEXT PRIMARY KEY, qty BIGINT NOT NULL, orders BIGINT NOT NULL)",
        "INSERT INTO {t} AS m (sku, qty, orders) VALUES (?, ?, ?) "
        "ON CONFLICT (sku) DO UPDATE SET qty = m.qty + excluded.qty, orders = m.orders + excluded.orders",
        _sku_deltas,
        "SELECT sum(orders) FROM {t}",
    ),
)


class ReadModelProjection:
    """The measured projection: each batch becomes rows upserted in the checkpoint's transaction."""

    handles = ("ItemOrdered",)

    def __init__(self, name: str, model: ReadModel, upsert: str) -> None:
        self.name = name
        self.model = model
        self.upsert = upsert

    async def apply_batch(self, events: list[Any], session: Any) -> None:
        """Upsert the batch's rows through the checkpoint transaction's session."""
        rows = self.model.rows([(e.order_id, e.sku, e.qty) for e in events])
        await session.executemany(self.upsert, rows)


def _checkpoints(ours: LexigramSide) -> Any:
    if ours.backend == POSTGRES:
        from lexigram.events.stores.postgres.checkpoint_store import PostgresCheckpointStore

        store: Any = ours.store
        config = store.config.model_copy(
            update={"checkpoints_table": f"{ours.tag}_cp", "parked_table": f"{ours.tag}_parked"}
        )
        return PostgresCheckpointStore(config, provider=store.pool)
    from lexigram.events.stores.sqlite.checkpoint_store import SqliteCheckpointStore

    return SqliteCheckpointStore(SqliteConfig(database=ours.path))


def _ours(ours: LexigramSide, checkpoints: Any, total: int, model: ReadModel, key: str) -> Any:
    postgres = ours.backend == POSTGRES

    async def run(attempt: int) -> float:
        table = f"{ours.tag}_{key}_{attempt}"
        create, upsert, count_sql = model.sql(table, postgres)
        async with checkpoints.transaction() as transaction:
            await transaction.session.execute(create)
        manager = ProjectionManager(
            ours.store,
            checkpoints,
            config=ProjectionsConfig(batch_size=BATCH, auto_start=False, poll_interval=5.0),
        )
        manager.register(ReadModelProjection(f"w7_{key}_{attempt}", model, upsert))
        started = clock()
        await manager.start()
        await manager.wait_until_live(max_wait=600)
        elapsed = clock() - started
        await manager.stop()
        async with checkpoints.transaction() as transaction:
            (count,) = (await transaction.session.fetch(count_sql))[0]
        assert count == total, (count, total)
        return total / elapsed

    return run


def _raw_read(raw: Any, total: int) -> Any:
    async def run(_attempt: int) -> float:
        started = clock()
        count = await raw.read_all(BATCH)
        elapsed = clock() - started
        assert count == total, (count, total)
        return total / elapsed

    return run


def _raw_projecting(raw: Any, total: int, backend: str, model: ReadModel, key: str) -> Any:
    """Raw catch-up with the same writes: read, upsert and checkpoint in one transaction per batch."""

    async def sqlite_run(attempt: int) -> float:
        connection, loads, read = raw._live(), orjson.loads, raw._read_global
        table = f"raw_{key}_{attempt}"
        create, insert, count_sql = model.sql(table, False)
        connection.execute(create)
        connection.execute(f"CREATE TABLE {table}_cp (name TEXT PRIMARY KEY, position INTEGER)")
        checkpoint = f"INSERT OR REPLACE INTO {table}_cp VALUES ('w7', ?)"
        started, after, count = clock(), 0, 0
        while True:
            connection.execute("BEGIN IMMEDIATE")
            rows = connection.execute(read, (after, BATCH)).fetchall()
            documents = [loads(data) for _position, _version, data in rows]
            connection.executemany(
                insert, model.rows([(d["order_id"], d["sku"], d["qty"]) for d in documents])
            )
            if rows:
                after = rows[-1][0]
                connection.execute(checkpoint, (after,))
            connection.execute("COMMIT")
            count += len(rows)
            if len(rows) < BATCH:
                break
        elapsed = clock() - started
        assert count == total, (count, total)
        assert connection.execute(count_sql).fetchone()[0] == total
        return total / elapsed

    async def postgres_run(attempt: int) -> float:
        connection, loads, read = raw._connection(), orjson.loads, raw._read_global
        table = f"{raw.table}_{key}_{attempt}"
        create, insert, count_sql = model.sql(table, True)
        await connection.execute(create)
        await connection.execute(f"CREATE TABLE {table}_cp (name TEXT PRIMARY KEY, position BIGINT)")
        checkpoint = (
            f"INSERT INTO {table}_cp VALUES ('w7', $1) ON CONFLICT (name) DO UPDATE SET position = $1"
        )
        started, after, count = clock(), 0, 0
        while True:
            async with connection.transaction():
                rows = await connection.fetch(read, after, BATCH)
                documents = [loads(row[2]) for row in rows]
                items = [(d["order_id"], d["sku"], d["qty"]) for d in documents]
                await connection.executemany(insert, model.rows(items))
                if rows:
                    after = rows[-1][0]
                    await connection.execute(checkpoint, after)
            count += len(rows)
            if len(rows) < BATCH:
                break
        elapsed = clock() - started
        assert count == total, (count, total)
        assert await connection.fetchval(count_sql) == total
        return total / elapsed

    return postgres_run if backend == POSTGRES else sqlite_run


async def _measure(context: BenchContext, backend: str, streams: int, per_stream: int) -> list[Figure]:
    total = streams * per_stream
    ours = LexigramSide(context, backend, context.tag("w7l"))
    raw: Any = side_factories(context, backend, "w7")[RAW]()
    await ours.open()
    await raw.open()
    checkpoints: Any = None
    made: list[Figure] = []
    try:
        await _fill(ours, streams, per_stream)
        await _fill(raw, streams, per_stream)
        checkpoints = _checkpoints(ours)
        await checkpoints.connect()
        for index, model in enumerate(MODELS):
            key = f"m{index}"
            results = await interleaved(
                context.repeats,
                {
                    LEXIGRAM: _ours(ours, checkpoints, total, model, key),
                    RAW: _raw_read(raw, total),
                    "raw_projecting": _raw_projecting(raw, total, backend, model, key),
                },
            )
            projecting = results.pop("raw_projecting")
            percent = round(100 * max(results[LEXIGRAM]) / max(results[RAW]), 1)
            made += figures(
                NAME,
                backend,
                f"{model.label}: vs raw read",
                "ev/s",
                results,
                lower_is_better=False,
                extra={LEXIGRAM: {"percent_of_raw_read": percent, "events": total, "batch": BATCH}},
            )
            made += figures(
                NAME,
                backend,
                f"{model.label}: vs raw read + same writes",
                "ev/s",
                {LEXIGRAM: results[LEXIGRAM], RAW: projecting},
                lower_is_better=False,
                extra={LEXIGRAM: {"note": "raw: read, upsert, checkpoint in one transaction per batch"}},
            )
    finally:
        if checkpoints is not None:
            await checkpoints.close()
        await ours.close()
        await raw.close()
    return made


def run(context: BenchContext) -> list[Figure]:
    """Run W7 on every chosen backend (10,000 streams x 10 events; 200 x 10 with --quick)."""
    streams = 200 if context.quick else 10_000
    made: list[Figure] = []
    for backend in context.durable_backends():
        made.extend(asyncio.run(_measure(context, backend, streams, 10)))
    return made
