"""A process that runs ``Parcel`` on PostgreSQL and kills itself with SIGKILL at a chosen moment.

Run as ``python saga_crash_worker.py DSN SAGAS_TABLE EFFECTS_TABLE SAGA_ID VARIANT KILL_STEP KILL_STATUS``:
right after the store saved a record in which step ``KILL_STEP`` has status ``KILL_STATUS``, the
process sends itself SIGKILL, so nothing of it cleans up. Steps and compensations write their side
effects to ``EFFECTS_TABLE``; ``VARIANT`` "refuse" makes the last step fail so the saga compensates.
"""

from __future__ import annotations

import asyncio
import os
import signal
import sys
from typing import Any

import asyncpg

from lexigram.contracts.workflow.records import SagaRecord
from lexigram.events.config import PostgresEventStoreConfig
from lexigram.events.sagas import SagaBase, SagaContext, SagaManager, SagaStepResult, SqlSagaStore, saga_step

CLAIM_TTL = 0.5
"""Seconds a crashed worker's claim blocks a resume."""


class Effects:
    """Side effects in a PostgreSQL table: one row per step or compensation that ran."""

    def __init__(self, dsn: str, table: str) -> None:
        self.dsn = dsn
        self.table = table

    async def record(self, saga_id: str, action: str) -> None:
        connection = await asyncpg.connect(self.dsn)
        try:
            await connection.execute(
                f'INSERT INTO "{self.table}" (saga_id, action) VALUES ($1, $2)', saga_id, action
            )
        finally:
            await connection.close()


class Parcel(SagaBase):
    @saga_step(compensation="unlabel")
    async def label(self, ctx: SagaContext) -> None:
        await ctx.services.effects.record(ctx.saga_id, "label")

    async def unlabel(self, ctx: SagaContext) -> None:
        await ctx.services.effects.record(ctx.saga_id, "unlabel")

    @saga_step(compensation="unpick")
    async def pick(self, ctx: SagaContext) -> None:
        await ctx.services.effects.record(ctx.saga_id, "pick")

    async def unpick(self, ctx: SagaContext) -> None:
        await ctx.services.effects.record(ctx.saga_id, "unpick")

    @saga_step
    async def dispatch(self, ctx: SagaContext) -> SagaStepResult:
        if ctx.data.get("variant") == "refuse":
            return SagaStepResult.failure("no courier")
        await ctx.services.effects.record(ctx.saga_id, "dispatch")
        return SagaStepResult.success()


class KillingStore(SqlSagaStore):
    """The real PostgreSQL saga store, and a SIGKILL right after one chosen save."""

    def __init__(self, config: PostgresEventStoreConfig, step: str, status: str) -> None:
        super().__init__(config)
        self.step = step
        self.status = status

    async def save(self, record: SagaRecord, expected_version: int) -> SagaRecord:
        saved = await super().save(record, expected_version)
        if any(s.name == self.step and s.status.value == self.status for s in saved.steps):
            os.kill(os.getpid(), signal.SIGKILL)
        return saved


def manager_for(store: Any, effects: Effects) -> SagaManager:
    """How every process builds its manager."""
    manager = SagaManager(store=store, services={"effects": effects}, claim_ttl=CLAIM_TTL)
    manager.register(Parcel)
    return manager


async def main(
    dsn: str, sagas_table: str, effects_table: str, saga_id: str, variant: str, step: str, status: str
) -> None:
    store = KillingStore(PostgresEventStoreConfig(dsn=dsn, sagas_table=sagas_table), step, status)
    manager = manager_for(store, Effects(dsn, effects_table))
    await manager.start(Parcel, data={"variant": variant}, saga_id=saga_id)
    await store.close()
    print("finished without being killed", flush=True)


if __name__ == "__main__":
    asyncio.run(main(*sys.argv[1:8]))
