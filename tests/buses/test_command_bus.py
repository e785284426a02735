"""The command bus: one handler per command type, results unchanged, failures translated."""

from __future__ import annotations

import asyncio
from typing import Any

import pytest

from lexigram.events import (
    CommandBus,
    CommandBusImpl,
    CommandExecutionError,
    ConcurrencyError,
    DuplicateHandlerError,
    Err,
    HandlerNotFoundError,
    InvalidOperationError,
    Ok,
)
from lexigram.events.buses import command
from lexigram.events.config import CommandBusConfig

from .messages import CancelOrder, PlaceOrder, PlainCommand


async def test_the_bus_name_is_the_implementation() -> None:
    assert CommandBus is CommandBusImpl
    assert command.CommandBus is CommandBusImpl


async def test_a_command_reaches_its_async_function_handler_and_its_result_comes_back() -> None:
    bus = CommandBus()
    seen: list[str] = []

    async def place(cmd: PlaceOrder) -> str:
        seen.append(cmd.order_id)
        return f"placed {cmd.order_id}"

    bus.register(PlaceOrder, place)
    assert await bus.dispatch(PlaceOrder(order_id="o-1")) == "placed o-1"
    assert seen == ["o-1"]


async def test_sync_functions_objects_and_classes_are_handlers_too() -> None:
    bus = CommandBus()
    built: list[str] = []

    def place(cmd: PlaceOrder) -> str:
        return "sync function"

    class Canceller:
        def __init__(self) -> None:
            built.append("Canceller")

        async def handle(self, cmd: CancelOrder) -> str:
            return "class, async handle"

    class SyncObject:
        def handle(self, cmd: PlainCommand) -> str:
            return "object, sync handle"

    bus.register(PlaceOrder, place)
    bus.register(CancelOrder, Canceller)
    bus.register(PlainCommand, SyncObject())
    assert await bus.dispatch(PlaceOrder(order_id="o")) == "sync function"
    assert await bus.dispatch(CancelOrder(order_id="o")) == "class, async handle"
    assert await bus.dispatch(CancelOrder(order_id="o")) == "class, async handle"
    assert await bus.dispatch(PlainCommand(name="x")) == "object, sync handle"
    assert built == ["Canceller"]  # instantiated once, at registration


async def test_lookup_is_by_exact_type() -> None:
    class UrgentOrder(PlaceOrder):
        pass

    bus = CommandBus()
    bus.register(PlaceOrder, lambda cmd: "placed")
    with pytest.raises(HandlerNotFoundError, match="UrgentOrder"):
        await bus.dispatch(UrgentOrder(order_id="o"))


async def test_a_second_different_handler_is_refused_and_the_first_stays() -> None:
    bus = CommandBus()

    async def first(cmd: PlaceOrder) -> str:
        return "first"

    async def second(cmd: PlaceOrder) -> str:
        return "second"

    bus.register(PlaceOrder, first)
    with pytest.raises(DuplicateHandlerError, match="PlaceOrder"):
        bus.register(PlaceOrder, second)
    assert await bus.dispatch(PlaceOrder(order_id="o")) == "first"


async def test_registering_the_same_handler_again_is_a_no_op() -> None:
    class Handler:
        def __init__(self) -> None:
            self.calls = 0

        async def handle(self, cmd: PlaceOrder) -> int:
            self.calls += 1
            return self.calls

    handler = Handler()
    bus = CommandBus()
    bus.register(PlaceOrder, handler)
    bus.register(PlaceOrder, handler)
    bus.register(PlaceOrder, handler.handle)  # a bound method of the same object
    bus.register(CancelOrder, Handler)
    bus.register(CancelOrder, Handler)
    assert await bus.dispatch(PlaceOrder(order_id="o")) == 1


async def test_no_handler_raises_naming_the_command() -> None:
    bus = CommandBus()
    with pytest.raises(HandlerNotFoundError) as caught:
        await bus.dispatch(PlaceOrder(order_id="o"))
    assert "PlaceOrder" in str(caught.value)


async def test_an_err_result_is_returned_not_raised() -> None:
    bus = CommandBus()
    bus.register(PlaceOrder, lambda cmd: Err("out of stock"))
    bus.register(CancelOrder, lambda cmd: Ok(None))
    assert await bus.dispatch(PlaceOrder(order_id="o")) == Err("out of stock")
    assert await bus.dispatch(CancelOrder(order_id="o")) == Ok(None)


async def test_lexigram_errors_propagate_unchanged() -> None:
    bus = CommandBus()
    refused = InvalidOperationError("the order is already shipped")
    conflict = ConcurrencyError("order-1", 3, 4)

    async def place(cmd: PlaceOrder) -> None:
        raise refused

    async def cancel(cmd: CancelOrder) -> None:
        raise conflict

    bus.register(PlaceOrder, place)
    bus.register(CancelOrder, cancel)
    with pytest.raises(InvalidOperationError) as caught:
        await bus.dispatch(PlaceOrder(order_id="o"))
    assert caught.value is refused
    with pytest.raises(ConcurrencyError) as conflicted:
        await bus.dispatch(CancelOrder(order_id="o"))
    assert conflicted.value is conflict


async def test_other_exceptions_become_command_execution_errors_with_the_cause() -> None:
    bus = CommandBus()
    boom = KeyError("sku-9")

    def place(cmd: PlaceOrder) -> None:
        raise boom

    bus.register(PlaceOrder, place)
    with pytest.raises(CommandExecutionError) as caught:
        await bus.dispatch(PlaceOrder(order_id="o"))
    assert caught.value.command_type == "PlaceOrder"
    assert "sku-9" in caught.value.error
    assert caught.value.__cause__ is boom


async def test_a_slow_handler_is_cancelled_and_reported_as_timed_out() -> None:
    bus = CommandBus(config=CommandBusConfig(timeout_seconds=0.02))
    cancelled = asyncio.Event()

    async def place(cmd: PlaceOrder) -> None:
        try:
            await asyncio.sleep(10)
        except asyncio.CancelledError:
            cancelled.set()
            raise

    bus.register(PlaceOrder, place)
    with pytest.raises(CommandExecutionError) as caught:
        await bus.dispatch(PlaceOrder(order_id="o"))
    assert "timed out" in str(caught.value)
    assert "PlaceOrder" in str(caught.value)
    assert isinstance(caught.value.__cause__, TimeoutError)
    assert cancelled.is_set()


async def test_a_timeout_error_raised_by_the_handler_itself_is_not_called_a_timeout() -> None:
    bus = CommandBus(config=CommandBusConfig(timeout_seconds=5))

    async def place(cmd: PlaceOrder) -> None:
        raise TimeoutError("the payment gateway did not answer")

    bus.register(PlaceOrder, place)
    with pytest.raises(CommandExecutionError, match="payment gateway"):
        await bus.dispatch(PlaceOrder(order_id="o"))


async def test_fast_handlers_are_unaffected_by_the_timeout() -> None:
    bus = CommandBus(config=CommandBusConfig(timeout_seconds=5))
    bus.register(PlaceOrder, lambda cmd: "done")
    assert [await bus.dispatch(PlaceOrder(order_id=str(i))) for i in range(3)] == ["done"] * 3


async def test_cancelling_the_caller_cancels_the_handler() -> None:
    bus = CommandBus()
    started, cancelled = asyncio.Event(), asyncio.Event()

    async def place(cmd: PlaceOrder) -> None:
        started.set()
        try:
            await asyncio.sleep(10)
        except asyncio.CancelledError:
            cancelled.set()
            raise

    bus.register(PlaceOrder, place)
    task = asyncio.create_task(bus.dispatch(PlaceOrder(order_id="o")))
    await started.wait()
    task.cancel()
    with pytest.raises(asyncio.CancelledError):
        await task
    assert cancelled.is_set()


async def test_bad_input_is_refused_with_clear_errors() -> None:
    bus = CommandBus()
    with pytest.raises(TypeError, match="command class"):
        bus.register("PlaceOrder", lambda cmd: None)  # type: ignore[arg-type]
    with pytest.raises(TypeError, match="function, an object with a handle"):
        bus.register(PlaceOrder, 42)

    class NeedsRepository:
        def __init__(self, repository: Any) -> None:
            self.repository = repository

        async def handle(self, cmd: PlaceOrder) -> None: ...

    with pytest.raises(TypeError, match="no arguments"):
        bus.register(PlaceOrder, NeedsRepository)
    with pytest.raises(TypeError, match="got the class PlaceOrder"):
        await bus.dispatch(PlaceOrder)
    with pytest.raises(TypeError, match="expects a command, got str"):
        await bus.dispatch("place order o-1")
    assert not bus.has_handler(PlaceOrder)


async def test_unregister_and_has_handler() -> None:
    bus = CommandBus()
    bus.register(PlaceOrder, lambda cmd: None)
    assert bus.has_handler(PlaceOrder)
    assert bus.unregister(PlaceOrder) is True
    assert bus.unregister(PlaceOrder) is False
    assert not bus.has_handler(PlaceOrder)
    with pytest.raises(HandlerNotFoundError):
        await bus.dispatch(PlaceOrder(order_id="o"))


async def test_concurrent_dispatches_run_independently() -> None:
    bus = CommandBus()
    gate = asyncio.Event()

    async def place(cmd: PlaceOrder) -> str:
        await gate.wait()
        return cmd.order_id

    bus.register(PlaceOrder, place)
    tasks = [asyncio.create_task(bus.dispatch(PlaceOrder(order_id=str(i)))) for i in range(20)]
    await asyncio.sleep(0)
    gate.set()
    assert await asyncio.gather(*tasks) == [str(i) for i in range(20)]
