"""Event-driven sagas: routing by event type and by correlation key, with durable per-instance state."""

from __future__ import annotations

import asyncio
from pathlib import Path
from typing import Any

import pytest

from lexigram.contracts.domain import DomainEvent
from lexigram.contracts.exceptions import ConfigurationError
from lexigram.contracts.workflow import SagaProtocol
from lexigram.events import Command, CommandBusImpl
from lexigram.events.config import SqliteConfig
from lexigram.events.exceptions import SagaDefinitionError, SagaExecutionError, SagaValidationError
from lexigram.events.sagas import (
    EventDrivenSaga,
    SagaContext,
    SagaManager,
    SagaState,
    SqlSagaStore,
    saga_handler,
)


class OrderPlaced(DomainEvent):
    order_id: str
    amount: int


class PaymentReceived(DomainEvent):
    order_id: str


class OrderShipped(DomainEvent):
    order_id: str


class CustomerRenamed(DomainEvent):
    customer_id: str


class ChargeCard(Command):
    order_id: str
    amount: int


class ShipOrder(Command):
    order_id: str


class Outbox:
    """A command bus whose handlers write down every command they get."""

    def __init__(self) -> None:
        self.bus = CommandBusImpl()
        self.sent: list[Any] = []
        for command_type in (ChargeCard, ShipOrder):
            self.bus.register(command_type, self.receive)

    async def receive(self, command: Any) -> None:
        self.sent.append(described(command))


def described(command: Any) -> tuple[Any, ...]:
    """A command without its generated id: its type and payload."""
    return (
        type(command).__name__,
        *(v for k, v in sorted(vars(command).items()) if k in ("order_id", "amount")),
    )


class Fulfilment(EventDrivenSaga):
    correlate_by = "order_id"

    @saga_handler(OrderPlaced, starts=True)
    async def placed(self, event: OrderPlaced, ctx: SagaContext) -> ChargeCard:
        ctx.data["amount"] = event.amount
        return ChargeCard(order_id=event.order_id, amount=event.amount)

    @saga_handler(PaymentReceived)
    async def paid(self, event: PaymentReceived, ctx: SagaContext) -> list[ShipOrder]:
        ctx.data["paid"] = True
        return [ShipOrder(order_id=event.order_id)]

    @saga_handler(OrderShipped)
    async def shipped(self, event: OrderShipped, ctx: SagaContext) -> None:
        ctx.complete()


@pytest.fixture
def outbox() -> Outbox:
    return Outbox()


async def test_each_order_gets_its_own_instance_and_commands_follow_the_events(outbox: Outbox) -> None:
    manager = SagaManager(command_bus=outbox.bus)
    manager.register(Fulfilment)
    assert await manager.process(OrderPlaced(order_id="o-1", amount=30)) == ["Fulfilment"]
    await manager.process(OrderPlaced(order_id="o-2", amount=50))
    await manager.process(PaymentReceived(order_id="o-1"))
    assert outbox.sent == [
        ("ChargeCard", 30, "o-1"),
        ("ChargeCard", 50, "o-2"),
        ("ShipOrder", "o-1"),
    ]
    first = await manager.store.find("Fulfilment", "o-1")
    second = await manager.store.find("Fulfilment", "o-2")
    assert first.data == {"amount": 30, "paid": True}
    assert second.data == {"amount": 50}
    assert [step.name for step in first.steps] == ["placed", "paid"]
    assert first.status is SagaState.RUNNING


async def test_an_instance_ends_and_then_ignores_late_events(outbox: Outbox) -> None:
    manager = SagaManager(command_bus=outbox.bus)
    manager.register(Fulfilment)
    await manager.process(OrderPlaced(order_id="o-1", amount=30))
    await manager.process(OrderShipped(order_id="o-1"))
    assert (await manager.store.find("Fulfilment", "o-1")).status is SagaState.COMPLETED
    assert await manager.process(PaymentReceived(order_id="o-1")) == []
    assert await manager.process(OrderPlaced(order_id="o-1", amount=99)) == []
    assert outbox.sent == [("ChargeCard", 30, "o-1")]


async def test_events_for_no_instance_and_events_no_saga_handles_are_ignored(outbox: Outbox) -> None:
    manager = SagaManager(command_bus=outbox.bus)
    manager.register(Fulfilment)
    assert await manager.process(PaymentReceived(order_id="unknown")) == []
    assert await manager.process(CustomerRenamed(customer_id="c-1")) == []
    assert await manager.store.find("Fulfilment", "unknown") is None
    assert outbox.sent == []


async def test_a_redelivered_event_is_handled_once(outbox: Outbox) -> None:
    manager = SagaManager(command_bus=outbox.bus)
    manager.register(Fulfilment)
    placed = OrderPlaced(order_id="o-1", amount=30)
    paid = PaymentReceived(order_id="o-1")
    for event in (placed, paid, paid, placed):
        await manager.process(event)
    assert outbox.sent == [("ChargeCard", 30, "o-1"), ("ShipOrder", "o-1")]


async def test_concurrent_events_of_one_instance_are_all_applied(outbox: Outbox) -> None:
    class Counter(EventDrivenSaga):
        correlate_by = "order_id"

        @saga_handler(OrderPlaced, PaymentReceived, starts=True)
        async def count(self, event: Any, ctx: SagaContext) -> None:
            await asyncio.sleep(0)
            ctx.data["seen"] = ctx.data.get("seen", 0) + 1

    manager = SagaManager()
    manager.register(Counter)
    await manager.process(OrderPlaced(order_id="o-1", amount=1))
    await asyncio.gather(*(manager.process(PaymentReceived(order_id="o-1")) for _ in range(4)))
    assert (await manager.store.find("Counter", "o-1")).data == {"seen": 5}


async def test_the_state_of_an_instance_survives_a_new_manager_on_the_same_file(
    tmp_path: Path, outbox: Outbox
) -> None:
    config = SqliteConfig(database=str(tmp_path / "sagas.db"))
    before = SagaManager(store=SqlSagaStore(config), command_bus=outbox.bus)
    before.register(Fulfilment)
    await before.process(OrderPlaced(order_id="o-1", amount=30))
    await before.store.close()

    after = SagaManager(store=SqlSagaStore(config), command_bus=outbox.bus)
    after.register(Fulfilment)
    await after.process(PaymentReceived(order_id="o-1"))
    record = await after.store.find("Fulfilment", "o-1")
    assert record.data == {"amount": 30, "paid": True}
    assert outbox.sent[-1] == ("ShipOrder", "o-1")
    await after.store.close()


async def test_a_failing_saga_does_not_keep_the_event_from_the_others(outbox: Outbox) -> None:
    class Broken(EventDrivenSaga):
        correlate_by = "order_id"

        @saga_handler(OrderPlaced, starts=True)
        async def placed(self, event: OrderPlaced, ctx: SagaContext) -> None:
            raise RuntimeError("fraud service down")

    manager = SagaManager(command_bus=outbox.bus)
    manager.register(Broken)
    manager.register(Fulfilment)
    with pytest.raises(SagaExecutionError, match="fraud service down") as caught:
        await manager.process(OrderPlaced(order_id="o-1", amount=30))
    assert list(caught.value.failures) == ["Broken"]
    assert outbox.sent == [("ChargeCard", 30, "o-1")]
    assert await manager.store.find("Broken", "o-1") is None  # nothing saved: the event can be retried


async def test_commands_go_out_at_least_once_when_their_dispatch_fails() -> None:
    refusals = [RuntimeError("payment service restarting")]
    sent: list[tuple[Any, ...]] = []

    async def charge(command: ChargeCard) -> None:
        if refusals:
            raise refusals.pop()
        sent.append(described(command))

    bus = CommandBusImpl()
    bus.register(ChargeCard, charge)
    manager = SagaManager(command_bus=bus)
    manager.register(Fulfilment)
    placed = OrderPlaced(order_id="o-1", amount=30)
    with pytest.raises(SagaExecutionError, match="payment service restarting"):
        await manager.process(placed)
    assert await manager.store.find("Fulfilment", "o-1") is None  # nothing recorded: safe to retry
    await manager.process(placed)
    await manager.process(placed)
    assert sent == [("ChargeCard", 30, "o-1")]
    assert (await manager.store.find("Fulfilment", "o-1")).data == {"amount": 30}


async def test_ctx_fail_ends_the_instance_failed(outbox: Outbox) -> None:
    class Picky(EventDrivenSaga):
        correlate_by = "order_id"

        @saga_handler(OrderPlaced, starts=True)
        async def placed(self, event: OrderPlaced, ctx: SagaContext) -> None:
            if event.amount > 100:
                ctx.fail("amount over the limit")

    manager = SagaManager()
    manager.register(Picky())
    await manager.process(OrderPlaced(order_id="o-1", amount=500))
    record = await manager.store.find("Picky", "o-1")
    assert (record.status, record.error) == (SagaState.FAILED, "amount over the limit")


class ReserveInventory(Command):
    order_id: str


class OrderFulfillmentSaga(SagaProtocol):
    """The seed-001 shape: a plain SagaProtocol that dispatches itself."""

    async def handle(self, event: OrderPlaced) -> None:
        await self.dispatch(ReserveInventory(order_id=event.order_id))


class Notifier(SagaProtocol):
    """Returns its commands instead, for either of two event types."""

    async def handle(self, event: PaymentReceived | OrderShipped) -> list[Any]:
        return [ShipOrder(order_id=event.order_id)]


async def test_plain_saga_objects_get_the_events_their_handle_accepts() -> None:
    sent: list[Any] = []

    async def receive(command: Any) -> None:
        sent.append(command)

    bus = CommandBusImpl()
    bus.register(ReserveInventory, receive)
    bus.register(ShipOrder, receive)
    manager = SagaManager(command_bus=bus)
    manager.register(OrderFulfillmentSaga())
    manager.register(Notifier())
    assert await manager.process(OrderPlaced(order_id="o-1", amount=1)) == ["OrderFulfillmentSaga"]
    assert await manager.process(OrderShipped(order_id="o-1")) == ["Notifier"]
    assert await manager.process(CustomerRenamed(customer_id="c")) == []
    assert [described(c) for c in sent] == [("ReserveInventory", "o-1"), ("ShipOrder", "o-1")]


async def test_commands_without_a_command_bus_say_how_to_give_one() -> None:
    manager = SagaManager()
    manager.register(Fulfilment)
    with pytest.raises(SagaExecutionError) as caught:
        await manager.process(OrderPlaced(order_id="o-1", amount=1))
    assert isinstance(caught.value.failures["Fulfilment"], ConfigurationError)
    assert "command_bus" in str(caught.value)


def test_event_driven_declarations_are_checked() -> None:
    class NoStart(EventDrivenSaga):
        correlate_by = "order_id"

        @saga_handler(PaymentReceived)
        async def paid(self, event: Any, ctx: SagaContext) -> None:
            pass

    class NoCorrelation(EventDrivenSaga):
        @saga_handler(OrderPlaced, starts=True)
        async def placed(self, event: Any, ctx: SagaContext) -> None:
            pass

    manager = SagaManager()
    with pytest.raises(SagaDefinitionError, match="starts=True"):
        manager.register(NoStart)
    with pytest.raises(SagaDefinitionError, match="correlate_by"):
        manager.register(NoCorrelation)
    with pytest.raises(SagaDefinitionError, match="event classes"):
        saga_handler("OrderPlaced")  # type: ignore[arg-type]
    with pytest.raises(SagaValidationError, match="register"):
        manager.register(42)
    with pytest.raises(SagaValidationError):
        asyncio.run(manager.process(None))
