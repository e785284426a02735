"""A process killed with SIGKILL between two steps of a saga on PostgreSQL, and a new manager resuming it.

The worker (``saga_crash_worker.py``) is a real ``python`` process that runs ``Parcel`` and kills
itself right after the store saved a chosen transition; its steps write their side effects to a
PostgreSQL table. Whatever the moment of death, the resumed saga ends as it would have, and every
side effect happened exactly once.
"""

from __future__ import annotations

import asyncio
import signal
import subprocess
import sys
import uuid
from collections.abc import AsyncIterator, Callable
from pathlib import Path
from typing import Any

import asyncpg
import pytest
from saga_crash_worker import Effects, manager_for

from lexigram.events.config import PostgresEventStoreConfig
from lexigram.events.sagas import SagaState, SqlSagaStore

WORKER = Path(__file__).with_name("saga_crash_worker.py")

pytestmark = pytest.mark.skipif(not hasattr(signal, "SIGKILL"), reason="needs SIGKILL")

ConfigFactory = Callable[..., PostgresEventStoreConfig]


@pytest.fixture
async def setting(
    pg_config: ConfigFactory, postgres_dsn: str
) -> AsyncIterator[tuple[PostgresEventStoreConfig, str]]:
    config = pg_config()
    effects = f"{config.sagas_table}_effects"
    connection = await asyncpg.connect(postgres_dsn)
    await connection.execute(
        f'CREATE TABLE "{effects}" (id bigserial PRIMARY KEY, saga_id text NOT NULL, action text NOT NULL)'
    )
    store = SqlSagaStore(config)
    await store.migrate()  # the workers start on an existing table
    await store.close()
    yield config, effects
    await connection.execute(f'DROP TABLE IF EXISTS "{effects}"')
    await connection.close()


async def run_worker(
    config: PostgresEventStoreConfig, effects: str, saga_id: str, variant: str, kill: str
) -> None:
    step, status = kill.split(":")
    dsn = config.dsn.get_secret_value()  # type: ignore[union-attr]
    process = await asyncio.create_subprocess_exec(
        sys.executable,
        str(WORKER),
        dsn,
        config.sagas_table,
        effects,
        saga_id,
        variant,
        step,
        status,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
    )
    out, err = await asyncio.wait_for(process.communicate(), timeout=30)
    assert process.returncode == -signal.SIGKILL, (process.returncode, out.decode(), err.decode())


async def resume(config: PostgresEventStoreConfig, effects: str, saga_id: str) -> Any:
    """A new process's manager: resume until the dead worker's claim expired and the saga is done."""
    store = SqlSagaStore(config)
    manager = manager_for(store, Effects(config.dsn.get_secret_value(), effects))  # type: ignore[union-attr]
    for _ in range(50):
        if saga_id in await manager.resume_incomplete():
            break
        await asyncio.sleep(0.1)
    record = await manager.get(saga_id)
    await manager.stop()
    await store.close()
    return record


async def left_behind(config: PostgresEventStoreConfig, saga_id: str) -> Any:
    """The saga as the killed worker left it."""
    store = SqlSagaStore(config)
    record = await store.get(saga_id)
    await store.close()
    assert record is not None
    return record


async def side_effects(postgres_dsn: str, effects: str, saga_id: str) -> list[str]:
    connection = await asyncpg.connect(postgres_dsn)
    try:
        rows = await connection.fetch(
            f'SELECT action FROM "{effects}" WHERE saga_id = $1 ORDER BY id', saga_id
        )
    finally:
        await connection.close()
    return [row["action"] for row in rows]


@pytest.mark.parametrize("kill", ["label:completed", "pick:completed", "pick:running"])
async def test_a_saga_killed_between_steps_completes_with_each_step_done_once(
    setting: tuple[PostgresEventStoreConfig, str], postgres_dsn: str, kill: str
) -> None:
    config, effects = setting
    saga_id = f"parcel-{uuid.uuid4().hex[:8]}"
    await run_worker(config, effects, saga_id, "deliver", kill)
    assert (await left_behind(config, saga_id)).status is SagaState.RUNNING
    record = await resume(config, effects, saga_id)
    assert record.status is SagaState.COMPLETED
    assert await side_effects(postgres_dsn, effects, saga_id) == ["label", "pick", "dispatch"]


@pytest.mark.parametrize("kill", ["dispatch:failed", "pick:compensated"])
async def test_a_saga_killed_while_compensating_is_compensated_exactly_once(
    setting: tuple[PostgresEventStoreConfig, str], postgres_dsn: str, kill: str
) -> None:
    config, effects = setting
    saga_id = f"parcel-{uuid.uuid4().hex[:8]}"
    await run_worker(config, effects, saga_id, "refuse", kill)
    assert (await left_behind(config, saga_id)).status is SagaState.COMPENSATING
    record = await resume(config, effects, saga_id)
    assert record.status is SagaState.COMPENSATED
    assert await side_effects(postgres_dsn, effects, saga_id) == ["label", "pick", "unpick", "unlabel"]
