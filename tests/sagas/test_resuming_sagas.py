"""Resuming sagas after a crash, and claims that keep two managers off one saga (SQLite file)."""

from __future__ import annotations

import asyncio
from pathlib import Path
from typing import Any

import pytest

from lexigram.contracts.messages.ids import utc_now
from lexigram.events.config import SqliteConfig
from lexigram.events.exceptions import SagaConcurrencyError
from lexigram.events.sagas import (
    SagaBase,
    SagaContext,
    SagaManager,
    SagaState,
    SagaStepResult,
    SagaStepStatus,
    SqlSagaStore,
    saga_step,
)


class Gate:
    """Holds a named step (or compensation) the first time it runs, until opened."""

    def __init__(self, hold: str) -> None:
        self.hold = hold
        self.entered = asyncio.Event()
        self.opened = asyncio.Event()
        self.calls: list[str] = []

    async def pass_through(self, name: str) -> None:
        self.calls.append(name)
        if name == self.hold and self.calls.count(name) == 1:
            self.entered.set()
            await self.opened.wait()


class Delivery(SagaBase):
    @saga_step(compensation="undo_one")
    async def one(self, ctx: SagaContext) -> None:
        await ctx.services.gate.pass_through("one")

    async def undo_one(self, ctx: SagaContext) -> None:
        await ctx.services.gate.pass_through("undo one")

    @saga_step(compensation="undo_two")
    async def two(self, ctx: SagaContext) -> None:
        await ctx.services.gate.pass_through("two")

    async def undo_two(self, ctx: SagaContext) -> None:
        await ctx.services.gate.pass_through("undo two")

    @saga_step
    async def three(self, ctx: SagaContext) -> SagaStepResult | None:
        await ctx.services.gate.pass_through("three")
        return SagaStepResult.failure("refused") if ctx.data.get("refuse") else None


@pytest.fixture
def config(tmp_path: Path) -> SqliteConfig:
    return SqliteConfig(database=str(tmp_path / "sagas.db"))


class Process:
    """One application process: its own store on the shared file and its own manager."""

    def __init__(self, config: SqliteConfig, gate: Gate, claim_ttl: float = 30.0) -> None:
        self.store = SqlSagaStore(config)
        self.manager = SagaManager(store=self.store, services={"gate": gate}, claim_ttl=claim_ttl)
        self.manager.register(Delivery)

    async def close(self) -> None:
        await self.manager.stop()
        await self.store.close()


async def crash_while_held(process: Process, gate: Gate, data: dict[str, Any]) -> str:
    """Start a saga, wait until the gate holds it, then cancel it the way a crash would: no cleanup."""
    started = asyncio.create_task(process.manager.start(Delivery, data=data, saga_id="delivery-1"))
    await gate.entered.wait()
    started.cancel()
    with pytest.raises(asyncio.CancelledError):
        await started
    return "delivery-1"


async def test_a_saga_cut_off_mid_step_resumes_from_its_last_completed_step(config: SqliteConfig) -> None:
    gate = Gate(hold="two")
    first = Process(config, gate, claim_ttl=0.3)
    saga_id = await crash_while_held(first, gate, {})
    left = await first.store.get(saga_id)
    assert left is not None
    assert left.status is SagaState.RUNNING
    assert left.step("one").status is SagaStepStatus.COMPLETED
    assert left.step("two").status is SagaStepStatus.RUNNING

    gate.opened.set()
    second = Process(config, gate)
    assert await second.manager.resume_incomplete() == []  # the first process's claim still holds
    await asyncio.sleep(0.35)
    assert await second.manager.resume_incomplete() == [saga_id]
    record = await second.manager.get(saga_id)
    assert record.status is SagaState.COMPLETED
    assert gate.calls == ["one", "two", "two", "three"]  # "one" is never run again
    assert record.step("two").attempts == 2
    await first.close()
    await second.close()


async def test_a_stopped_manager_releases_its_claims_so_another_resumes_at_once(config: SqliteConfig) -> None:
    gate = Gate(hold="two")
    first = Process(config, gate)
    started = asyncio.create_task(first.manager.start(Delivery, saga_id="delivery-1"))
    await gate.entered.wait()
    await first.manager.stop()
    with pytest.raises(asyncio.CancelledError):
        await started
    assert (await first.store.get("delivery-1")).owner is None  # type: ignore[union-attr]

    gate.opened.set()
    second = Process(config, gate)
    assert await second.manager.resume_incomplete() == ["delivery-1"]
    assert (await second.manager.get("delivery-1")).status is SagaState.COMPLETED
    await first.close()
    await second.close()


async def test_a_compensating_saga_resumes_its_compensation(config: SqliteConfig) -> None:
    gate = Gate(hold="undo two")
    first = Process(config, gate, claim_ttl=0.3)
    saga_id = await crash_while_held(first, gate, {"refuse": True})
    assert (await first.store.get(saga_id)).status is SagaState.COMPENSATING  # type: ignore[union-attr]

    gate.opened.set()
    await asyncio.sleep(0.35)
    second = Process(config, gate)
    assert await second.manager.resume_incomplete() == [saga_id]
    record = await second.manager.get(saga_id)
    assert record.status is SagaState.COMPENSATED
    assert gate.calls == ["one", "two", "three", "undo two", "undo two", "undo one"]
    await first.close()
    await second.close()


async def test_a_saga_being_driven_is_not_resumed_by_another_manager(config: SqliteConfig) -> None:
    gate = Gate(hold="two")
    first = Process(config, gate)
    started = asyncio.create_task(first.manager.start(Delivery, saga_id="delivery-1"))
    await gate.entered.wait()
    second = Process(config, gate)
    assert await second.manager.resume_incomplete() == []
    gate.opened.set()
    assert await started == "delivery-1"
    assert gate.calls == ["one", "two", "three"]
    await first.close()
    await second.close()


async def test_a_manager_whose_claim_was_taken_over_stops_without_running_more_steps(
    config: SqliteConfig,
) -> None:
    gate = Gate(hold="two")
    first = Process(config, gate)
    started = asyncio.create_task(first.manager.start(Delivery, saga_id="delivery-1"))
    await gate.entered.wait()
    # The first process froze past its lease and another manager claimed the saga meanwhile.
    other = SqlSagaStore(config)
    held = await other.get("delivery-1")
    assert held is not None
    await other.save(held.evolve(owner="another-process", lease_expires_at=utc_now()), held.version)
    gate.opened.set()
    with pytest.raises(SagaConcurrencyError, match="another manager"):
        await started
    assert gate.calls == ["one", "two"]
    await other.close()
    await first.close()


async def test_sagas_of_types_this_manager_does_not_know_are_left_alone(
    config: SqliteConfig, caplog: pytest.LogCaptureFixture
) -> None:
    gate = Gate(hold="two")
    first = Process(config, gate, claim_ttl=0.05)
    await crash_while_held(first, gate, {})
    await asyncio.sleep(0.1)
    stranger = SagaManager(store=SqlSagaStore(config))
    assert await stranger.resume_incomplete() == []
    assert "unregistered type Delivery" in caplog.text
    await stranger.store.close()
    await first.close()


async def test_of_two_processes_resuming_at_once_only_one_drives_the_saga(config: SqliteConfig) -> None:
    gate = Gate(hold="two")
    crashed = Process(config, gate, claim_ttl=0.05)
    saga_id = await crash_while_held(crashed, gate, {})
    gate.opened.set()
    await asyncio.sleep(0.1)
    first, second = Process(config, gate), Process(config, gate)
    outcomes = await asyncio.gather(first.manager.resume_incomplete(), second.manager.resume_incomplete())
    assert sorted(outcomes) == [[], [saga_id]]
    assert gate.calls == ["one", "two", "two", "three"]
    for process in (crashed, first, second):
        await process.close()


async def test_a_long_step_keeps_its_claim_alive_so_nobody_takes_the_saga_over(config: SqliteConfig) -> None:
    gate = Gate(hold="two")
    driver = Process(config, gate, claim_ttl=0.3)
    started = asyncio.create_task(driver.manager.start(Delivery, saga_id="delivery-1"))
    await gate.entered.wait()
    other = Process(config, gate)
    for _ in range(8):  # 0.8 s: more than twice the claim's lifetime
        assert await other.manager.resume_incomplete() == []
        await asyncio.sleep(0.1)
    gate.opened.set()
    assert await started == "delivery-1"
    assert gate.calls == ["one", "two", "three"]
    await driver.close()
    await other.close()
