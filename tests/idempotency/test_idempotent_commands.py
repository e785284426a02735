"""Idempotent commands on the command bus: a retried request takes effect once and gets the same answer.

The stories run on each store: in memory, SQLite (two buses on two connections to one file, as
two processes) and PostgreSQL (two buses, two pools).
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass
from typing import Any

import pytest

from lexigram.contracts.core.result import Err
from lexigram.events import Command, CommandBus, IdempotentCommand
from lexigram.events.config import CommandBusConfig, PostgresEventStoreConfig, SqliteConfig
from lexigram.events.decorators import command_handler
from lexigram.events.decorators.handlers import idempotent
from lexigram.events.exceptions import (
    CommandExecutionError,
    IdempotencyConflictError,
    IdempotencyResultError,
    InvalidIdempotencyKeyError,
)
from lexigram.events.stores.memory.idempotency_store import InMemoryIdempotencyStore
from lexigram.events.stores.postgres.idempotency_store import PostgresIdempotencyStore
from lexigram.events.stores.sqlite.idempotency_store import SqliteIdempotencyStore
from lexigram.events.types import CommandResult


class ChargeCard(IdempotentCommand):
    order_id: str
    amount: int


class ShipOrder(Command):
    order_id: str


@dataclass(frozen=True)
class PaymentReceipt:
    order_id: str
    amount: int
    attempt: int


class PaymentService:
    """Counts charges: the thing that must never happen twice."""

    def __init__(self, delay: float = 0.0) -> None:
        self.charges: list[tuple[str, int]] = []
        self.delay = delay

    async def charge(self, command: ChargeCard) -> PaymentReceipt:
        self.charges.append((command.order_id, command.amount))
        await asyncio.sleep(self.delay)
        return PaymentReceipt(command.order_id, command.amount, len(self.charges))


StorePair = tuple[Any, Any]


@pytest.fixture(params=["memory", "sqlite", "postgres"])
async def stores(request: pytest.FixtureRequest, tmp_path: Any) -> AsyncIterator[StorePair]:
    """Two idempotency stores on the same data (the same object in memory)."""
    if request.param == "memory":
        store = InMemoryIdempotencyStore()
        yield store, store
        return
    if request.param == "sqlite":
        config = SqliteConfig(database=str(tmp_path / "app.db"))
        pair: StorePair = (SqliteIdempotencyStore(config), SqliteIdempotencyStore(config))
    else:
        factory: Callable[..., PostgresEventStoreConfig] = request.getfixturevalue("pg_config")
        config_pg = factory()
        pair = (PostgresIdempotencyStore(config_pg), PostgresIdempotencyStore(config_pg))
    yield pair
    for store in pair:
        await store.close()


async def test_a_retried_charge_runs_once_and_returns_the_first_receipt(stores: StorePair) -> None:
    payments = PaymentService()
    bus = CommandBus(idempotency_store=stores[0])
    bus.register(ChargeCard, payments.charge)

    first = await bus.dispatch(ChargeCard(order_id="o-1", amount=30, idempotency_key="pay-o-1"))
    retried = await bus.dispatch(ChargeCard(order_id="o-1", amount=30, idempotency_key="pay-o-1"))

    assert first == retried == PaymentReceipt("o-1", 30, 1)
    assert payments.charges == [("o-1", 30)]
    other = await bus.dispatch(ChargeCard(order_id="o-2", amount=5, idempotency_key="pay-o-2"))
    assert other.attempt == 2


async def test_many_concurrent_retries_charge_once_and_all_get_the_same_receipt(stores: StorePair) -> None:
    payments = PaymentService(delay=0.05)
    buses = [CommandBus(idempotency_store=store) for store in stores]
    for bus in buses:
        bus.register(ChargeCard, payments.charge)
    command = ChargeCard(order_id="o-1", amount=30, idempotency_key="pay-o-1")

    receipts = await asyncio.gather(*(buses[n % 2].dispatch(command) for n in range(16)))

    assert payments.charges == [("o-1", 30)]
    assert receipts == [PaymentReceipt("o-1", 30, 1)] * 16


async def test_the_same_key_with_another_amount_is_refused(stores: StorePair) -> None:
    payments = PaymentService()
    bus = CommandBus(idempotency_store=stores[0])
    bus.register(ChargeCard, payments.charge)
    await bus.dispatch(ChargeCard(order_id="o-1", amount=30, idempotency_key="pay-o-1"))

    with pytest.raises(IdempotencyConflictError, match=r"pay-o-1.*ChargeCard"):
        await bus.dispatch(ChargeCard(order_id="o-1", amount=3000, idempotency_key="pay-o-1"))
    assert payments.charges == [("o-1", 30)]


async def test_a_failed_charge_can_be_retried_with_the_same_key(stores: StorePair) -> None:
    attempts: list[int] = []

    async def flaky_charge(command: ChargeCard) -> str:
        attempts.append(command.amount)
        if len(attempts) == 1:
            raise ConnectionError("card network unreachable")
        return "charged"

    bus = CommandBus(idempotency_store=stores[0])
    bus.register(ChargeCard, flaky_charge)
    command = ChargeCard(order_id="o-1", amount=30, idempotency_key="pay-o-1")
    with pytest.raises(CommandExecutionError, match="unreachable"):
        await bus.dispatch(command)
    assert await bus.dispatch(command) == "charged"
    assert await bus.dispatch(command) == "charged"
    assert attempts == [30, 30]


async def test_without_a_key_the_command_id_identifies_the_request(stores: StorePair) -> None:
    payments = PaymentService()
    bus = CommandBus(idempotency_store=stores[0])
    bus.register(ChargeCard, payments.charge)
    command = ChargeCard(order_id="o-1", amount=30)

    await bus.dispatch(command)
    await bus.dispatch(command)  # the same message delivered twice
    await bus.dispatch(ChargeCard(order_id="o-1", amount=30))  # a new request: a new id

    assert payments.charges == [("o-1", 30), ("o-1", 30)]


async def test_an_idempotent_handler_deduplicates_any_command(stores: StorePair) -> None:
    shipped: list[str] = []

    @command_handler(ShipOrder, idempotent=True)
    async def ship(command: ShipOrder) -> CommandResult[str]:
        shipped.append(command.order_id)
        return CommandResult.ok(f"parcel-{command.order_id}", command_id=command.id)

    bus = CommandBus(idempotency_store=stores[0])
    bus.register(ShipOrder, ship)
    command = ShipOrder(order_id="o-1")
    assert await bus.dispatch(command) == await bus.dispatch(command)
    assert (await bus.dispatch(command)).value == "parcel-o-1"
    assert shipped == ["o-1"]


async def test_an_unstorable_result_is_refused_and_the_key_stays_free(stores: StorePair) -> None:
    runs: list[int] = []

    @idempotent
    async def ship(command: ShipOrder) -> object:
        runs.append(1)
        return object()

    bus = CommandBus(idempotency_store=stores[0])
    bus.register(ShipOrder, ship)
    command = ShipOrder(order_id="o-1")
    with pytest.raises(IdempotencyResultError, match="cannot be recorded"):
        await bus.dispatch(command)
    with pytest.raises(IdempotencyResultError):
        await bus.dispatch(command)
    assert len(runs) == 2


# --- in memory only: the bus's own behaviour ------------------------------------------------------


async def test_without_a_store_idempotent_commands_are_not_deduplicated() -> None:
    payments = PaymentService()
    bus = CommandBus()
    bus.register(ChargeCard, payments.charge)
    command = ChargeCard(order_id="o-1", amount=30, idempotency_key="pay-o-1")
    await bus.dispatch(command)
    await bus.dispatch(command)
    assert len(payments.charges) == 2


async def test_an_idempotent_handler_class_without_a_store_is_deduplicated_in_memory() -> None:
    @idempotent(ttl=60)
    class Shipper:
        def __init__(self) -> None:
            self.shipped: list[str] = []

        def handle(self, command: ShipOrder) -> str:
            self.shipped.append(command.order_id)
            return "ok"

    shipper = Shipper()
    bus = CommandBus()
    bus.register(ShipOrder, shipper)
    command = ShipOrder(order_id="o-1")
    assert [await bus.dispatch(command) for _ in range(3)] == ["ok"] * 3
    assert shipper.shipped == ["o-1"]


async def test_a_result_is_recorded_for_its_ttl_only() -> None:
    shipped: list[str] = []

    @command_handler(ShipOrder, idempotent=True, idempotency_ttl=0.2)
    def ship(command: ShipOrder) -> None:
        shipped.append(command.order_id)

    bus = CommandBus(idempotency_store=InMemoryIdempotencyStore())
    bus.register(ShipOrder, ship)
    command = ShipOrder(order_id="o-1")
    await bus.dispatch(command)
    await bus.dispatch(command)
    await asyncio.sleep(0.3)
    await bus.dispatch(command)
    assert shipped == ["o-1", "o-1"]


async def test_other_commands_are_not_recorded_and_middleware_sees_every_dispatch() -> None:
    store = InMemoryIdempotencyStore()
    seen: list[str] = []

    async def audit(message: Any, next_handler: Any) -> Any:
        seen.append(type(message).__name__)
        return await next_handler(message)

    payments = PaymentService()
    bus = CommandBus(middlewares=[audit], idempotency_store=store)
    bus.register(ChargeCard, payments.charge)
    bus.register(ShipOrder, lambda command: None)
    await bus.dispatch(ShipOrder(order_id="o-1"))
    await bus.dispatch(ShipOrder(order_id="o-1"))
    assert len(store) == 0
    command = ChargeCard(order_id="o-1", amount=1, idempotency_key="k")
    await bus.dispatch(command)
    await bus.dispatch(command)
    assert seen == ["ShipOrder", "ShipOrder", "ChargeCard", "ChargeCard"]
    assert len(store) == 1
    assert len(payments.charges) == 1


async def test_an_err_result_is_returned_each_time_and_not_recorded() -> None:
    calls: list[int] = []

    async def refuse(command: ChargeCard) -> Err[str]:
        calls.append(1)
        return Err("card expired")

    bus = CommandBus(idempotency_store=InMemoryIdempotencyStore())
    bus.register(ChargeCard, refuse)
    command = ChargeCard(order_id="o-1", amount=1, idempotency_key="k")
    assert await bus.dispatch(command) == Err("card expired")
    assert await bus.dispatch(command) == Err("card expired")
    assert len(calls) == 2


async def test_a_timed_out_handler_frees_the_key() -> None:
    delays = [1.0, 0.0]

    async def slow(command: ChargeCard) -> str:
        await asyncio.sleep(delays.pop(0))
        return "charged"

    bus = CommandBus(
        config=CommandBusConfig(timeout_seconds=0.1), idempotency_store=InMemoryIdempotencyStore()
    )
    bus.register(ChargeCard, slow)
    command = ChargeCard(order_id="o-1", amount=1, idempotency_key="k")
    with pytest.raises(CommandExecutionError, match="timed out"):
        await bus.dispatch(command)
    assert await bus.dispatch(command) == "charged"


async def test_a_store_set_after_registration_applies_to_existing_handlers() -> None:
    payments = PaymentService()
    bus = CommandBus()
    bus.register(ChargeCard, payments.charge)
    bus.idempotency_store = InMemoryIdempotencyStore()
    command = ChargeCard(order_id="o-1", amount=1, idempotency_key="k")
    await bus.dispatch(command)
    await bus.dispatch(command)
    assert len(payments.charges) == 1


async def test_a_command_without_key_or_id_cannot_be_idempotent() -> None:
    @dataclass
    class Ping:
        note: str

    @idempotent
    def pong(command: Ping) -> str:
        return "pong"

    bus = CommandBus()
    bus.register(Ping, pong)
    with pytest.raises(InvalidIdempotencyKeyError, match="neither an idempotency_key nor an id"):
        await bus.dispatch(Ping(note="x"))


def test_decorator_options_are_checked_when_the_handler_is_declared() -> None:
    with pytest.raises(TypeError, match="positive number of seconds"):
        idempotent(ttl=0)
    with pytest.raises(TypeError, match="needs idempotent=True"):
        command_handler(ShipOrder, idempotency_ttl=10)
    with pytest.raises(TypeError, match="True or False"):
        command_handler(ShipOrder, idempotent="yes")
