"""Consumer groups: workers share a partitioned projection through leases, on a real PostgreSQL.

Every event is applied exactly once by a transactional projection, each stream in order, while
workers join, leave, lose their leases or die; a worker whose lease was taken over cannot commit.
The crash test runs workers in child processes (``group_worker.py``) killed with SIGKILL.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import os
import random
import signal
import subprocess
import sys
import uuid
from collections.abc import AsyncIterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import asyncpg
import pytest

from lexigram.contracts.events.leases import PartitionLease
from lexigram.events import InMemoryEventStore
from lexigram.events.config import PostgresEventStoreConfig, ProjectionsConfig
from lexigram.events.exceptions import ProjectionBuildError
from lexigram.events.projections import ProjectionManager
from lexigram.events.stores.memory.checkpoint_store import InMemoryCheckpointStore
from lexigram.events.stores.memory.lease_store import InMemoryPartitionLeaseStore
from lexigram.events.stores.postgres import PostgresEventStore
from lexigram.events.types import ProjectionState

from .groups import (
    Ledger,
    Plain,
    Tick,
    Worker,
    check_stream_order,
    config_for,
    create_read_models,
    ledger_rows,
    partition_of_stream,
)

PARTITIONS = 8


@dataclass
class Database:
    """Tables of one test (all named after ``prefix``) and a connection to check them."""

    dsn: str
    prefix: str
    config: PostgresEventStoreConfig
    connection: Any
    events: PostgresEventStore

    def worker(self, worker_id: str, **options: Any) -> Worker:
        """A worker running the partitioned ledger, on a pool of its own."""
        worker = Worker.build(self.config, worker_id, **options)
        worker.manager.register(Ledger(self.prefix, worker_id), partitions=PARTITIONS)
        return worker

    async def ledger(self) -> list[tuple[Any, ...]]:
        """The ledger's rows in commit order."""
        return await ledger_rows(self.connection, self.prefix)

    async def positions(self) -> list[int]:
        """Every position in the log."""
        rows = await self.connection.fetch(f"SELECT position FROM {self.prefix}_events ORDER BY position")
        return [row[0] for row in rows]

    async def wait_for_ledger(self, count: int, max_wait: float = 20.0) -> None:
        """Wait until the ledger has ``count`` rows."""
        async with asyncio.timeout(max_wait):
            while await self.connection.fetchval(f"SELECT count(*) FROM {self.prefix}_ledger") < count:
                await asyncio.sleep(0.05)

    async def check_exactly_once(self) -> list[tuple[Any, ...]]:
        """Every event of the log once in the ledger, every stream in order; the rows."""
        rows = await self.ledger()
        assert sorted(row[1] for row in rows) == await self.positions()
        check_stream_order(rows)
        return rows


@pytest.fixture
async def database(postgres_dsn: str) -> AsyncIterator[Database]:
    prefix = f"g{uuid.uuid4().hex[:10]}"
    config = config_for(postgres_dsn, prefix)
    events = PostgresEventStore(config)
    await events.connect()
    connection = await asyncpg.connect(postgres_dsn)
    await create_read_models(connection, prefix)
    yield Database(postgres_dsn, prefix, config, connection, events)
    await events.close()
    tables = await connection.fetch(
        "SELECT tablename FROM pg_tables WHERE schemaname = 'public' AND tablename LIKE $1", prefix + "%"
    )
    for (table,) in tables:
        await connection.execute(f'DROP TABLE IF EXISTS "{table}" CASCADE')
    await connection.close()


class Appender:
    """Appends ``Tick`` events: streams one after another, many streams at once."""

    def __init__(self, store: Any) -> None:
        self.store = store
        self.counts: dict[str, int] = {}

    async def append(self, streams: list[str], per_stream: int) -> None:
        async def one(stream: str) -> None:
            for _ in range(per_stream):
                n = self.counts.get(stream, 0) + 1
                self.counts[stream] = n
                await self.store.append(stream, [Tick(stream=stream, n=n)])

        await asyncio.gather(*(one(stream) for stream in streams))

    @property
    def total(self) -> int:
        return sum(self.counts.values())


async def owned(workers: list[Worker]) -> dict[str, list[int]]:
    """The partitions each worker holds, by worker id."""
    report: dict[str, list[int]] = {}
    for worker in workers:
        status = await worker.manager.get_status("ledger")
        report[worker.worker_id] = status["owned"]
    return report


async def wait_balanced(workers: list[Worker], max_wait: float = 10.0) -> dict[str, list[int]]:
    """Wait until the workers hold every partition once, as evenly as possible."""
    fair = {PARTITIONS // len(workers), -(-PARTITIONS // len(workers))}
    async with asyncio.timeout(max_wait):
        while True:
            held = await owned(workers)
            every = sorted(p for partitions in held.values() for p in partitions)
            if every == list(range(PARTITIONS)) and all(len(p) in fair for p in held.values()):
                return held
            await asyncio.sleep(0.05)


# --- (a) three members share the partitions ------------------------------------------------------


async def test_three_members_share_the_partitions_and_apply_every_event_once(database: Database) -> None:
    appender = Appender(database.events)
    streams = [f"order-{n}" for n in range(40)]
    await appender.append(streams, 10)
    workers = [database.worker(f"worker-{n}") for n in range(3)]
    try:
        await asyncio.gather(*(worker.manager.start() for worker in workers))
        held = await wait_balanced(workers)
        assert sorted(len(p) for p in held.values()) == [2, 3, 3]

        await appender.append(streams[:20] + [f"late-{n}" for n in range(20)], 5)  # while running
        await database.wait_for_ledger(appender.total)
        rows = await database.check_exactly_once()
        assert len(rows) == appender.total == 600
        by_partition: dict[int, set[str]] = {}
        for _seq, _position, stream, _n, worker in rows:
            by_partition.setdefault(partition_of_stream(stream, PARTITIONS), set()).add(worker)
        final = await owned(workers)
        for worker_id, partitions in final.items():
            status = await next(w for w in workers if w.worker_id == worker_id).manager.get_status("ledger")
            assert status["partitions"] == PARTITIONS
            assert status["worker_id"] == worker_id
            assert sorted(status["owned_partitions"]) == partitions
            assert sorted(status["members"]) == sorted(w.worker_id for w in workers)
            for partition in partitions:
                entry = status["owned_partitions"][partition]
                assert entry["position"] > 0
                assert entry["state"] in (ProjectionState.LIVE, ProjectionState.CATCHING_UP)
                assert entry["token"] >= 1
        for worker in workers:
            await worker.manager.wait_until_live("ledger")
        checkpoints = await workers[0].checkpoints.list_checkpoints()
        assert sorted(c.projection_name for c in checkpoints) == sorted(
            f"ledger#{p}of{PARTITIONS}" for p in range(PARTITIONS)
        )
    finally:
        await asyncio.gather(*(worker.close() for worker in workers))
    leases = f"{database.prefix}_leases"
    assert await database.connection.fetchval(f"SELECT count(*) FROM {leases} WHERE owner <> ''") == 0
    assert await database.connection.fetchval(f"SELECT count(*) FROM {leases}_members") == 0


# --- (b) a member leaves or dies ----------------------------------------------------------------


async def test_a_stopped_member_hands_its_partitions_over_at_once(database: Database) -> None:
    appender = Appender(database.events)
    streams = [f"order-{n}" for n in range(30)]
    await appender.append(streams, 4)
    workers = [database.worker(f"worker-{n}", ttl=5.0) for n in range(3)]  # expiry would take 5 s
    try:
        await asyncio.gather(*(worker.manager.start() for worker in workers))
        await wait_balanced(workers)
        leaving, staying = workers[0], workers[1:]
        appending = asyncio.create_task(appender.append(streams, 6))  # events keep coming meanwhile
        await asyncio.sleep(0.1)
        loop = asyncio.get_running_loop()
        stopped_at = loop.time()
        await leaving.close()  # releases its leases
        await wait_balanced(staying)
        assert loop.time() - stopped_at < 4.0  # released, not expired
        await appending
        await appender.append(streams, 2)
        await database.wait_for_ledger(appender.total)
        rows = await database.check_exactly_once()
        assert {row[4] for row in rows} >= {w.worker_id for w in staying}
    finally:
        await asyncio.gather(*(worker.close() for worker in workers))


async def test_the_partitions_of_a_member_that_vanished_are_taken_over_when_its_leases_expire(
    database: Database,
) -> None:
    appender = Appender(database.events)
    streams = [f"order-{n}" for n in range(24)]
    await appender.append(streams, 3)
    workers = [database.worker(f"worker-{n}", ttl=1.0) for n in range(2)]
    try:
        await asyncio.gather(*(worker.manager.start() for worker in workers))
        await wait_balanced(workers)
        vanished = workers[0]
        group = vanished.manager._groups["ledger"]
        await group.stop(release=False)  # as if the process died: its leases stay until they expire
        await appender.append(streams, 3)
        await wait_balanced(workers[1:], max_wait=5.0)
        await database.wait_for_ledger(appender.total)
        await database.check_exactly_once()
    finally:
        await asyncio.gather(*(worker.close() for worker in workers))


async def test_a_member_joining_gets_its_share(database: Database) -> None:
    appender = Appender(database.events)
    streams = [f"order-{n}" for n in range(16)]
    await appender.append(streams, 3)
    first = database.worker("worker-a")
    second = database.worker("worker-b")
    try:
        await first.manager.start()
        await wait_balanced([first])
        await appender.append(streams, 2)
        await second.manager.start()
        held = await wait_balanced([first, second])
        assert sorted(len(p) for p in held.values()) == [4, 4]
        await appender.append(streams, 2)
        await database.wait_for_ledger(appender.total)
        await database.check_exactly_once()
    finally:
        await asyncio.gather(first.close(), second.close())


# --- (c) fencing -----------------------------------------------------------------------------------


async def test_a_member_whose_leases_expired_cannot_commit_after_the_takeover(
    database: Database, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.WARNING, "lexigram.events.projections")
    appender = Appender(database.events)
    streams = [f"order-{n}" for n in range(24)]
    await appender.append(streams, 2)
    paused = database.worker("paused", ttl=1.0)
    taker = database.worker("taker", ttl=1.0)
    try:
        await paused.manager.start()
        await wait_balanced([paused])
        await database.wait_for_ledger(appender.total)

        believed: dict[int, PartitionLease] = {}

        async def renew(leases: list[PartitionLease], ttl: float) -> list[PartitionLease]:
            return list(leases)  # the renewals never reach the store, but the worker believes they did

        async def claim(name: str, total: int, owner: str, ttl: float, most: int) -> list[PartitionLease]:
            return sorted(believed.values(), key=lambda lease: lease.partition)

        believed.update(paused.manager._groups["ledger"].leases)
        paused.leases.renew = renew  # type: ignore[method-assign]
        paused.leases.claim = claim  # type: ignore[method-assign]
        await asyncio.sleep(1.3)  # its leases expire in the store

        await taker.manager.start()
        await wait_balanced([taker])  # took every partition over: new tokens
        taken_at = await database.connection.fetchval(f"SELECT max(seq) FROM {database.prefix}_ledger")
        assert len((await owned([paused]))["paused"]) == PARTITIONS  # it still believes it holds them

        await appender.append(streams, 3)  # both workers' runners read these events
        await database.wait_for_ledger(appender.total)
        async with asyncio.timeout(5):
            while (await owned([paused]))["paused"]:  # each of its runners hit the fence and stopped
                await asyncio.sleep(0.05)

        rows = await database.check_exactly_once()
        after = [row for row in rows if row[0] > taken_at]
        assert after
        assert {row[4] for row in after} == {"taker"}  # nothing committed by the paused worker
        assert "was taken over" in caplog.text
        for checkpoint in await taker.checkpoints.list_checkpoints():
            partition = int(checkpoint.projection_name.split("#")[1].split("of")[0])
            mine = [row[1] for row in rows if partition_of_stream(row[2], PARTITIONS) == partition]
            assert checkpoint.position == max(mine)  # the partition's contiguous prefix, by the taker
        assert (await paused.manager.get_status("ledger"))["state"] is not ProjectionState.FAULTED
    finally:
        await asyncio.gather(paused.close(), taker.close())


# --- in memory: registration and one process ------------------------------------------------------


class Counter:
    """An in-memory projection shared by the managers of one process."""

    def __init__(self) -> None:
        self.seen: list[tuple[str, int]] = []

    def apply(self, event: Tick) -> None:
        self.seen.append((event.stream, event.n))


async def test_managers_sharing_an_in_memory_lease_store_split_the_work() -> None:
    store = InMemoryEventStore()
    leases = InMemoryPartitionLeaseStore()
    appender = Appender(store)
    await appender.append([f"s-{n}" for n in range(20)], 5)
    counter = Counter()
    settings = ProjectionsConfig(batch_size=10, poll_interval=0.02)
    checkpoints = (
        InMemoryCheckpointStore()
    )  # shared, like the lease store: a partition moves with its checkpoint
    managers = [
        ProjectionManager(
            store, checkpoints, config=settings, worker_id=f"w{n}", lease_store=leases, lease_ttl=0.6
        )
        for n in range(2)
    ]
    for manager in managers:
        manager.register(counter, name="counter", partitions=4)
    try:
        for manager in managers:
            await manager.start()
        async with asyncio.timeout(5):
            while sorted(lease.owner for lease in await leases.list_leases("counter")) != [
                "w0",
                "w0",
                "w1",
                "w1",
            ]:
                await asyncio.sleep(0.02)
        await appender.append([f"s-{n}" for n in range(20)], 2)
        async with asyncio.timeout(5):
            while len(counter.seen) < appender.total:
                await asyncio.sleep(0.02)
        for manager in managers:
            await manager.wait_until_live("counter")
    finally:
        for manager in managers:
            await manager.close()
    assert sorted(counter.seen) == sorted(
        (stream, n) for stream, count in appender.counts.items() for n in range(1, count + 1)
    )
    for stream in appender.counts:
        numbers = [n for s, n in counter.seen if s == stream]
        assert numbers == sorted(numbers)
    assert await leases.list_leases("counter") == []  # released on stop
    assert await leases.members("counter") == []


async def test_a_partitioned_projection_reports_its_part_and_refuses_what_it_cannot_do() -> None:
    store = InMemoryEventStore()
    await store.append("s-1", [Tick(stream="s-1", n=1)])
    manager = ProjectionManager(store, worker_id="solo", lease_ttl=0.6)
    counter = Counter()
    manager.register(counter, name="counter", partitions=3)
    manager.register(Counter(), name="single")
    assert manager.names == ["counter", "single"]
    assert manager.partitions("counter") == 3
    assert manager.partitions("single") is None
    assert manager.get("counter") is counter
    await manager.start()
    try:
        await manager.wait_until_live("counter")
        await manager.wait_for_position(1, "counter")
        status = await manager.get_status("counter")
        assert status["owned"] == [0, 1, 2]
        assert status["position"] is None
        assert status["state"] is ProjectionState.LIVE
        assert status["worker_id"] == "solo"
        assert manager.health()["projections"]["counter"] == "live"
        with pytest.raises(ProjectionBuildError, match="partitioned"):
            await manager.rebuild("counter")
        assert await manager.list_parked("counter") == []
        assert counter.seen == [("s-1", 1)]
    finally:
        await manager.close()
    assert (await manager.get_status("counter"))["state"] is ProjectionState.STOPPED


def test_registration_checks_the_partitions() -> None:
    manager = ProjectionManager(InMemoryEventStore())
    for wrong in (0, -1, True, 2.5, "4"):
        with pytest.raises(ValueError, match="partitions"):
            manager.register(Counter(), name=f"c{wrong}", partitions=wrong)  # type: ignore[arg-type]

    class Versioned(Counter):
        def activate(self) -> None:
            pass

    with pytest.raises(ValueError, match="activate"):
        manager.register(Versioned(), partitions=2)
    manager.register(Counter(), name="counter", partitions=2)
    with pytest.raises(ValueError, match="already registered"):
        manager.register(Counter(), name="counter")
    with pytest.raises(ValueError, match="lease_ttl"):
        ProjectionManager(lease_ttl=0)
    with pytest.raises(ValueError, match="worker_id"):
        ProjectionManager(worker_id=" ")
    assert ProjectionManager().worker_id != ProjectionManager().worker_id


# --- (d) workers killed mid-batch -------------------------------------------------------------------

WORKER = Path(__file__).with_name("group_worker.py")
TRIALS = 50


class Zygote:
    """``group_worker.py zygote``: forks worker processes on request; the test kills them by pid."""

    def __init__(self, database: Database, log_dir: Path) -> None:
        self.log_dir = log_dir
        self.process = subprocess.Popen(
            [sys.executable, str(WORKER), "zygote", database.dsn, database.prefix, str(log_dir)],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        self.pids: dict[str, int] = {}

    def said(self) -> str:
        assert self.process.stdout is not None
        line = self.process.stdout.readline().strip()
        if not line:
            self.process.kill()
            raise AssertionError(f"the zygote ended: {self.process.communicate()[1]}")
        return line

    def spawn(self, worker_id: str) -> None:
        assert self.process.stdin is not None
        self.process.stdin.write(f"spawn {worker_id}\n")
        self.process.stdin.flush()
        _, named, pid = self.said().split()
        assert named == worker_id
        self.pids[worker_id] = int(pid)

    def kill(self, worker_id: str) -> None:
        with contextlib.suppress(ProcessLookupError):
            os.kill(self.pids.pop(worker_id), signal.SIGKILL)

    def log(self, worker_id: str) -> str:
        path = self.log_dir / f"{worker_id}.log"
        return path.read_text() if path.exists() else ""

    def close(self) -> None:
        for worker_id in list(self.pids):
            self.kill(worker_id)
        if self.process.poll() is None:
            with contextlib.suppress(OSError):
                assert self.process.stdin is not None
                self.process.stdin.write("exit\n")
                self.process.stdin.flush()
            try:
                self.process.wait(5)
            except subprocess.TimeoutExpired:
                self.process.kill()
        self.process.communicate()


@pytest.mark.skipif(
    not hasattr(signal, "SIGKILL") or not hasattr(os, "fork"), reason="needs fork and SIGKILL"
)
async def test_workers_killed_mid_batch_again_and_again_lose_nothing(
    database: Database, tmp_path: Path
) -> None:
    """Two worker processes run ``ledger`` and ``plain``; one is killed (SIGKILL) and replaced 50 times.

    The workers spend 10 ms per event inside their transactions and start with a backlog, so a
    kill lands mid-batch; meanwhile new streams keep being appended. At the end a worker in this
    process finishes the log: the ledger then holds every event exactly once, each stream in
    order, and ``plain`` holds every event at least once.
    """
    seed = random.randrange(1 << 30)
    chooser = random.Random(seed)
    loop = asyncio.get_running_loop()
    began = loop.time()
    await asyncio.gather(
        *(
            database.events.append(f"order-{n}", [Tick(stream=f"order-{n}", n=k) for k in range(1, 41)])
            for n in range(300)
        )
    )
    live = Appender(database.events)
    stop_appending = asyncio.Event()

    async def keep_appending() -> None:
        while not stop_appending.is_set():
            await live.append([f"live-{chooser.randrange(40)}"], 1)
            await asyncio.sleep(0.02)

    appending = asyncio.create_task(keep_appending())
    zygote = Zygote(database, tmp_path)
    leases = f"{database.prefix}_leases"
    kills_mid_work = 0
    busy_sessions = 0
    try:
        assert await asyncio.to_thread(zygote.said) == "ready"
        current = ["a-0", "b-0"]
        for worker_id in current:
            await asyncio.to_thread(zygote.spawn, worker_id)
        for trial in range(TRIALS):
            await asyncio.sleep(chooser.uniform(0.15, 0.6))
            slot = trial % 2
            victim = current[slot]
            try:
                held = await database.connection.fetchval(
                    f"SELECT count(*) FROM {leases} WHERE owner = $1 AND expires_at > now()", victim
                )
            except asyncpg.UndefinedTableError:
                held = 0
            busy_sessions += await database.connection.fetchval(
                "SELECT count(*) FROM pg_stat_activity WHERE state = 'idle in transaction' AND query LIKE $1",
                f"%{leases}%",
            )
            applied = await database.connection.fetchval(f"SELECT count(*) FROM {database.prefix}_ledger")
            zygote.kill(victim)
            if held and applied < 12_000:
                kills_mid_work += 1
            current[slot] = f"{'ab'[slot]}-{trial + 1}"
            await asyncio.to_thread(zygote.spawn, current[slot])
    finally:
        stop_appending.set()
        await appending
        zygote.close()
    trials_took = loop.time() - began
    for worker_id in ("a-0", "b-0"):
        assert "Traceback" not in zygote.log(worker_id), zygote.log(worker_id)

    total = len(await database.positions())
    assert total == 12_000 + live.total
    plain_pool = await asyncpg.create_pool(database.dsn, min_size=1, max_size=4)
    finisher = Worker.build(database.config, "finisher", ttl=1.0, batch_size=200, checkpoint_interval=50)
    finisher.manager.register(Ledger(database.prefix, "finisher"), partitions=PARTITIONS)
    finisher.manager.register(Plain(database.prefix, "finisher", plain_pool), partitions=PARTITIONS)
    try:
        await finisher.manager.start()
        await database.wait_for_ledger(total, max_wait=30)
        async with asyncio.timeout(30):
            while (
                await database.connection.fetchval(
                    f"SELECT count(DISTINCT position) FROM {database.prefix}_plain"
                )
                < total
            ):
                await asyncio.sleep(0.05)
        for name in ("ledger", "plain"):
            assert (await finisher.manager.get_status(name))["state"] is not ProjectionState.FAULTED
    finally:
        await finisher.close()
        await plain_pool.close()

    rows = await database.check_exactly_once()  # the primary key refused duplicates; none were needed
    assert len(rows) == total
    plain = await ledger_rows(database.connection, database.prefix, "plain")
    assert sorted({row[1] for row in plain}) == await database.positions()  # nothing missing
    workers = {row[4] for row in rows}
    summary = (
        f"seed {seed}: {TRIALS} kills in {trials_took:.1f} s, {kills_mid_work} of a worker holding leases "
        f"with work left, {busy_sessions} open batches seen at kill time; {total} events, "
        f"{len(plain) - total} duplicates in plain, ledger rows by {len(workers)} workers"
    )
    print(summary)
    assert kills_mid_work >= TRIALS // 2, summary
    assert len(workers) > TRIALS // 2, summary


async def test_a_partition_whose_start_failed_is_started_at_the_next_round() -> None:
    class FlakyCheckpoints(InMemoryCheckpointStore):
        failures = 1

        async def load(self, name: str) -> Any:
            if self.failures:
                self.failures -= 1
                raise ConnectionError("the database blinked")
            return await super().load(name)

    store = InMemoryEventStore()
    await store.append("s-1", [Tick(stream="s-1", n=1)])
    counter = Counter()
    checkpoints = FlakyCheckpoints()
    manager = ProjectionManager(store, checkpoints, worker_id="solo", lease_ttl=0.3)
    manager.register(counter, name="counter", partitions=1)
    await manager.start()
    try:
        await manager.wait_until_live("counter", max_wait=5)
        assert checkpoints.failures == 0  # the first round failed to start the partition
        assert counter.seen == [("s-1", 1)]
    finally:
        await manager.close()
