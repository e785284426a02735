"""Event bus lifecycle: accepting, backpressure, flush, close and its tasks."""

from __future__ import annotations

import asyncio
from collections.abc import Callable

import pytest

from lexigram.events import EventBusClosedError, EventBusImpl, EventHandlerError, Ok

from .messages import OrderPlaced, OrderShipped, PaymentReceived


def bus_tasks() -> list[asyncio.Task[object]]:
    return [t for t in asyncio.all_tasks() if t.get_name().startswith("lexigram-event-bus")]


async def test_publish_returns_ok_once_queued_before_handlers_run(bus: EventBusImpl) -> None:
    handled: list[str] = []
    bus.subscribe(OrderPlaced, lambda e: handled.append(e.order_id))
    assert await bus.publish(OrderPlaced(order_id="o")) == Ok(None)
    assert handled == []
    await bus.flush()
    assert handled == ["o"]


async def test_events_without_handlers_are_accepted_unless_refused_by_config(
    make_bus: Callable[..., EventBusImpl],
) -> None:
    lenient = make_bus()
    assert (await lenient.publish(PaymentReceived(amount=1))).is_ok()
    strict = make_bus(allow_no_handlers=False)
    result = await strict.publish(PaymentReceived(amount=1))
    assert result.is_err()
    assert isinstance(result.error, EventHandlerError)
    assert "PaymentReceived" in str(result.error)
    strict.subscribe(PaymentReceived, lambda e: None)
    assert (await strict.publish(PaymentReceived(amount=1))).is_ok()


async def test_flush_waits_for_follow_up_events_published_by_handlers(bus: EventBusImpl) -> None:
    shipped: list[str] = []

    async def ship(e: OrderPlaced) -> None:
        await asyncio.sleep(0.001)
        assert (await bus.publish(OrderShipped(order_id=e.order_id))).is_ok()

    async def record(e: OrderShipped) -> None:
        await asyncio.sleep(0.001)
        shipped.append(e.order_id)

    bus.subscribe(OrderPlaced, ship)
    bus.subscribe(OrderShipped, record)
    for i in range(5):
        await bus.publish(OrderPlaced(order_id=str(i)))
    await bus.flush()
    assert shipped == [str(i) for i in range(5)]


async def test_flush_waits_for_retries_and_dead_lettering(make_bus: Callable[..., EventBusImpl]) -> None:
    bus = make_bus(max_handler_retries=3)

    async def always_fails(e: OrderPlaced) -> None:
        raise RuntimeError("nope")

    bus.subscribe(OrderPlaced, always_fails)
    await bus.publish(OrderPlaced(order_id="o"))
    await bus.flush()
    assert await bus.dead_letter_store.get_count() == 1


async def test_flush_with_nothing_pending_returns_at_once() -> None:
    bus = EventBusImpl()
    await bus.flush()
    await bus.flush(timeout=0.01)
    await bus.close()


async def test_flush_raises_timeout_error_when_time_runs_out(bus: EventBusImpl) -> None:
    release = asyncio.Event()

    async def stuck(e: OrderPlaced) -> None:
        await release.wait()

    bus.subscribe(OrderPlaced, stuck)
    await bus.publish(OrderPlaced(order_id="o"))
    with pytest.raises(TimeoutError):
        await bus.flush(timeout=0.01)
    release.set()
    await bus.flush()


async def test_flush_does_not_wait_for_events_published_after_it_started(bus: EventBusImpl) -> None:
    release_late = asyncio.Event()
    handled: list[str] = []

    async def handle(e: OrderPlaced) -> None:
        if e.order_id == "late":
            await release_late.wait()
        handled.append(e.order_id)

    bus.subscribe(OrderPlaced, handle)
    bus.subscribe(OrderShipped, lambda e: handled.append("shipped"))
    await bus.publish(OrderShipped(order_id="early"))
    flushing = asyncio.create_task(bus.flush())
    await asyncio.sleep(0)
    await bus.publish(OrderPlaced(order_id="late"))
    await asyncio.wait_for(flushing, timeout=1)
    assert handled == ["shipped"]
    release_late.set()
    await bus.flush()


async def test_flush_or_close_inside_a_handler_is_refused_instead_of_deadlocking(bus: EventBusImpl) -> None:
    errors: list[str] = []

    async def impatient(e: OrderPlaced) -> None:
        for operation in (bus.flush, bus.close):
            try:
                await operation()
            except RuntimeError as exc:
                errors.append(str(exc))

    bus.subscribe(OrderPlaced, impatient)
    await bus.publish(OrderPlaced(order_id="o"))
    await bus.flush()
    assert len(errors) == 2
    assert all("inside a handler" in error for error in errors)
    assert not bus.is_closed


async def test_a_full_channel_makes_publish_wait_without_dropping(
    make_bus: Callable[..., EventBusImpl],
) -> None:
    bus = make_bus(max_queue_per_subscriber=2)
    release = asyncio.Event()
    handled: list[int] = []

    async def slow(e: PaymentReceived) -> None:
        await release.wait()
        handled.append(e.amount)

    bus.subscribe(PaymentReceived, slow)
    publisher = asyncio.create_task(_publish_amounts(bus, range(6)))
    await asyncio.sleep(0.01)
    assert not publisher.done()  # one in delivery, two queued, the fourth waits for room
    release.set()
    await publisher
    await bus.flush()
    assert handled == list(range(6))


async def _publish_amounts(bus: EventBusImpl, amounts: range) -> None:
    for amount in amounts:
        assert (await bus.publish(PaymentReceived(amount=amount))).is_ok()


async def test_a_handler_publishing_into_a_full_channel_never_waits(
    make_bus: Callable[..., EventBusImpl],
) -> None:
    bus = make_bus(max_queue_per_subscriber=1)
    chain: list[int] = []

    async def cascade(e: PaymentReceived) -> None:
        chain.append(e.amount)
        if e.amount < 20:
            for step in (1, 2, 3):  # more than the channel holds, into its own channel
                await bus.publish(PaymentReceived(amount=e.amount * 10 + step))

    bus.subscribe(PaymentReceived, cascade)
    await bus.publish(PaymentReceived(amount=1))
    await asyncio.wait_for(bus.flush(), timeout=2)
    assert chain == [1, 11, 12, 13, 111, 112, 113, 121, 122, 123, 131, 132, 133]


async def test_unbounded_channels_never_wait(make_bus: Callable[..., EventBusImpl]) -> None:
    bus = make_bus(max_queue_per_subscriber=0)
    release = asyncio.Event()

    async def slow(e: PaymentReceived) -> None:
        await release.wait()

    bus.subscribe(PaymentReceived, slow)
    await asyncio.wait_for(_publish_amounts(bus, range(500)), timeout=2)
    release.set()
    await bus.flush()


async def test_close_delivers_everything_accepted_then_refuses_new_events() -> None:
    bus = EventBusImpl()
    handled: list[str] = []

    async def handle(e: OrderPlaced) -> None:
        await asyncio.sleep(0.001)
        handled.append(e.order_id)

    bus.subscribe(OrderPlaced, handle)
    for i in range(5):
        await bus.publish(OrderPlaced(order_id=str(i)))
    await bus.close()
    assert handled == [str(i) for i in range(5)]
    result = await bus.publish(OrderPlaced(order_id="late"))
    assert result.is_err()
    assert isinstance(result.error, EventBusClosedError)
    assert bus.is_closed
    assert bus_tasks() == []


async def test_close_lets_handlers_publish_their_follow_up_events() -> None:
    bus = EventBusImpl()
    shipped: list[str] = []

    async def ship(e: OrderPlaced) -> None:
        await asyncio.sleep(0.001)
        assert (await bus.publish(OrderShipped(order_id=e.order_id))).is_ok()

    bus.subscribe(OrderPlaced, ship)
    bus.subscribe(OrderShipped, lambda e: shipped.append(e.order_id))
    await bus.publish(OrderPlaced(order_id="o"))
    await bus.close()
    assert shipped == ["o"]


async def test_close_is_idempotent_and_concurrent_closes_all_wait() -> None:
    bus = EventBusImpl()
    handled: list[str] = []

    async def handle(e: OrderPlaced) -> None:
        await asyncio.sleep(0.005)
        handled.append(e.order_id)

    bus.subscribe(OrderPlaced, handle)
    await bus.publish(OrderPlaced(order_id="o"))
    await asyncio.gather(bus.close(), bus.close())
    assert handled == ["o"]
    await bus.close()
    assert bus_tasks() == []


async def test_publishers_waiting_for_room_are_refused_when_the_bus_closes(
    make_bus: Callable[..., EventBusImpl],
) -> None:
    bus = make_bus(max_queue_per_subscriber=1)
    release = asyncio.Event()

    async def slow(e: PaymentReceived) -> None:
        await release.wait()

    bus.subscribe(PaymentReceived, slow)
    await bus.publish(PaymentReceived(amount=1))
    await asyncio.sleep(0)  # the drain task takes the first event
    await bus.publish(PaymentReceived(amount=2))
    waiting = asyncio.create_task(bus.publish(PaymentReceived(amount=3)))
    await asyncio.sleep(0.01)
    assert not waiting.done()
    closing = asyncio.create_task(bus.close())
    result = await waiting
    assert isinstance(result.error, EventBusClosedError)
    release.set()
    await closing


async def test_cancelling_close_stops_the_bus_tasks() -> None:
    bus = EventBusImpl()
    started = asyncio.Event()

    async def hangs(e: OrderPlaced) -> None:
        started.set()
        await asyncio.sleep(10)

    bus.subscribe(OrderPlaced, hangs)
    await bus.publish(OrderPlaced(order_id="o"))
    await started.wait()
    closing = asyncio.create_task(bus.close())
    await asyncio.sleep(0.01)
    closing.cancel()
    with pytest.raises(asyncio.CancelledError):
        await closing
    await asyncio.sleep(0)
    assert bus_tasks() == []
    assert bus.is_closed


async def test_drain_tasks_start_lazily() -> None:
    bus = EventBusImpl()
    bus.subscribe(OrderPlaced, lambda e: None)
    assert bus_tasks() == []
    await bus.publish(OrderPlaced(order_id="o"))
    assert len(bus_tasks()) == 1
    await bus.close()
    assert bus_tasks() == []


def test_a_bus_built_outside_a_loop_works_in_successive_event_loops() -> None:
    bus = EventBusImpl()
    handled: list[str] = []
    bus.subscribe(OrderPlaced, lambda e: handled.append(e.order_id))

    async def publish_and_flush(order_id: str) -> None:
        await bus.publish(OrderPlaced(order_id=order_id))
        await bus.flush()

    asyncio.run(publish_and_flush("first"))
    asyncio.run(publish_and_flush("second"))
    asyncio.run(bus.close())
    assert handled == ["first", "second"]


async def test_flush_restarts_a_drain_task_cancelled_from_outside(bus: EventBusImpl) -> None:
    handled: list[int] = []
    release = asyncio.Event()

    async def handle(e: PaymentReceived) -> None:
        if e.amount == 1:
            await release.wait()
        handled.append(e.amount)

    bus.subscribe(PaymentReceived, handle)
    for amount in (1, 2, 3):
        await bus.publish(PaymentReceived(amount=amount))
    await asyncio.sleep(0.01)
    [task] = bus_tasks()
    task.cancel()  # e.g. a careless "cancel every task" at shutdown
    await asyncio.sleep(0)
    await asyncio.wait_for(bus.flush(), timeout=1)
    assert handled == [2, 3]  # the event in delivery was abandoned, the queued ones were not
