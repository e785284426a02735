"""Event bus subscriptions and delivery order."""

from __future__ import annotations

import asyncio
import random
from collections.abc import Callable

import pytest

from lexigram.events import EventBus, EventBusImpl, event_handler
from lexigram.events.buses import event

from .messages import OrderEvent, OrderPlaced, OrderShipped, PaymentReceived


async def test_the_bus_name_is_the_implementation() -> None:
    assert EventBus is EventBusImpl
    assert event.EventBus is EventBusImpl


async def test_every_subscriber_receives_the_event(bus: EventBusImpl) -> None:
    received: list[tuple[str, str]] = []

    class Mailer:
        async def handle(self, e: OrderPlaced) -> None:
            received.append(("mailer", e.order_id))

    class Stock:
        def handle(self, e: OrderPlaced) -> None:
            received.append(("stock", e.order_id))

    bus.subscribe(OrderPlaced, lambda e: received.append(("lambda", e.order_id)))
    bus.subscribe(OrderPlaced, Mailer())
    bus.subscribe(OrderPlaced, Stock)
    assert (await bus.publish(OrderPlaced(order_id="o-1"))).is_ok()
    await bus.flush()
    assert sorted(received) == [("lambda", "o-1"), ("mailer", "o-1"), ("stock", "o-1")]


async def test_base_class_subscribers_get_subclass_events_whatever_the_order(bus: EventBusImpl) -> None:
    received: list[str] = []
    await bus.publish(OrderPlaced(order_id="before"))  # plan computed before the subscription
    await bus.flush()
    bus.subscribe(OrderEvent, lambda e: received.append(type(e).__name__))
    await bus.publish(OrderPlaced(order_id="after"))
    await bus.publish(OrderShipped(order_id="after"))
    await bus.flush()
    assert received == ["OrderPlaced", "OrderShipped"]


async def test_a_handler_gets_an_event_once_however_many_subscriptions_match(bus: EventBusImpl) -> None:
    calls: list[str] = []

    def record(e: OrderPlaced) -> None:
        calls.append(e.order_id)

    bus.subscribe(OrderPlaced, record)
    bus.subscribe(OrderEvent, record)
    bus.subscribe_all(record)
    bus.subscribe(OrderPlaced, record)  # again: nothing changes
    await bus.publish(OrderPlaced(order_id="o-1"))
    await bus.flush()
    assert calls == ["o-1"]


async def test_subscribe_all_receives_every_event(bus: EventBusImpl) -> None:
    seen: list[str] = []
    bus.subscribe_all(lambda e: seen.append(type(e).__name__))
    await bus.publish(OrderPlaced(order_id="o"))
    await bus.publish(PaymentReceived(amount=5))
    await bus.flush()
    assert seen == ["OrderPlaced", "PaymentReceived"]


async def test_unsubscribe(bus: EventBusImpl) -> None:
    calls: list[str] = []

    def record(e: OrderEvent) -> None:
        calls.append(e.order_id)

    bus.subscribe(OrderPlaced, record)
    bus.subscribe(OrderShipped, record)
    assert bus.unsubscribe(OrderPlaced, record) is True
    assert bus.unsubscribe(OrderPlaced, record) is False
    assert bus.unsubscribe(PaymentReceived, record) is False
    await bus.publish(OrderPlaced(order_id="placed"))
    await bus.publish(OrderShipped(order_id="shipped"))
    await bus.flush()
    assert calls == ["shipped"]


async def test_unsubscribing_stops_deliveries_not_yet_made(bus: EventBusImpl) -> None:
    gate = asyncio.Event()
    calls: list[str] = []

    async def blocker(e: OrderEvent) -> None:
        await gate.wait()

    def record(e: OrderEvent) -> None:
        calls.append(e.order_id)

    bus.subscribe(OrderPlaced, blocker)
    bus.subscribe(OrderPlaced, record)
    bus.subscribe(OrderShipped, record)
    await bus.publish(OrderPlaced(order_id="first"))
    await bus.publish(OrderPlaced(order_id="queued"))
    await asyncio.sleep(0.01)
    bus.unsubscribe(OrderPlaced, record)  # "queued" is accepted but not delivered yet
    gate.set()
    await bus.flush()
    assert "queued" not in calls


async def test_the_handler_decorator_method_subscribes(bus: EventBusImpl) -> None:
    seen: list[int] = []

    @bus.handler(PaymentReceived)
    async def on_payment(e: PaymentReceived) -> None:
        seen.append(e.amount)

    assert callable(on_payment)
    await bus.publish(PaymentReceived(amount=7))
    await bus.flush()
    assert seen == [7]


async def test_sequential_dispatch_runs_by_priority_then_subscription_order(
    make_bus: Callable[..., EventBusImpl],
) -> None:
    bus = make_bus(parallel_dispatch=False)
    order: list[str] = []

    def audit(e: OrderPlaced) -> None:
        order.append("audit")

    @event_handler(OrderPlaced, priority=10)
    async def urgent(e: OrderPlaced) -> None:
        order.append("urgent")

    @event_handler(OrderPlaced, priority=5)
    class Middle:
        async def handle(self, e: OrderPlaced) -> None:
            order.append("middle")

    def late(e: OrderPlaced) -> None:
        order.append("late")

    bus.subscribe(OrderPlaced, audit)
    bus.subscribe(OrderPlaced, Middle)
    bus.subscribe(OrderEvent, urgent)
    bus.subscribe(OrderPlaced, late)
    await bus.publish(OrderPlaced(order_id="o"))
    await bus.flush()
    assert order == ["urgent", "middle", "audit", "late"]


async def test_sequential_dispatch_runs_one_handler_after_another(
    make_bus: Callable[..., EventBusImpl],
) -> None:
    bus = make_bus(parallel_dispatch=False)
    log: list[str] = []

    async def first(e: OrderPlaced) -> None:
        log.append("first starts")
        await asyncio.sleep(0.01)
        log.append("first ends")

    async def second(e: OrderPlaced) -> None:
        log.append("second")

    bus.subscribe(OrderPlaced, first)
    bus.subscribe(OrderPlaced, second)
    await bus.publish(OrderPlaced(order_id="o"))
    await bus.flush()
    assert log == ["first starts", "first ends", "second"]


async def test_parallel_dispatch_runs_the_handlers_of_an_event_concurrently_within_the_limit(
    make_bus: Callable[..., EventBusImpl],
) -> None:
    bus = make_bus(parallel_dispatch=True, max_concurrent_handlers=3)
    running = 0
    peak = 0
    all_started = asyncio.Event()
    started = 0

    def make_handler() -> Callable[[OrderPlaced], object]:
        async def handler(e: OrderPlaced) -> None:
            nonlocal running, peak, started
            running += 1
            started += 1
            peak = max(peak, running)
            if started >= 3:
                all_started.set()
            await asyncio.sleep(0.005)
            running -= 1

        return handler

    for _ in range(8):
        bus.subscribe(OrderPlaced, make_handler())
    await bus.publish(OrderPlaced(order_id="o"))
    await bus.flush()
    assert all_started.is_set()
    assert peak == 3
    assert started == 8


async def test_each_handler_gets_events_in_publish_order_across_types_one_at_a_time(
    bus: EventBusImpl,
) -> None:
    log: list[str] = []
    busy = False

    async def everything(e: object) -> None:
        nonlocal busy
        assert not busy, "a handler must never run two events at once"
        busy = True
        await asyncio.sleep(0.001)
        log.append(getattr(e, "order_id", None) or str(getattr(e, "amount", "")))
        busy = False

    async def slow_placed(e: OrderPlaced) -> None:
        await asyncio.sleep(0.002)

    bus.subscribe_all(everything)
    bus.subscribe(OrderPlaced, slow_placed)
    expected: list[str] = []
    for i in range(10):
        if i % 3 == 0:
            await bus.publish(PaymentReceived(amount=i))
        elif i % 3 == 1:
            await bus.publish(OrderPlaced(order_id=f"p{i}"))
        else:
            await bus.publish(OrderShipped(order_id=f"s{i}"))
        expected.append(str(i) if i % 3 == 0 else (f"p{i}" if i % 3 == 1 else f"s{i}"))
    await bus.flush()
    assert log == expected


async def test_events_of_different_types_are_delivered_concurrently(bus: EventBusImpl) -> None:
    placed_started = asyncio.Event()
    release = asyncio.Event()
    payments: list[int] = []

    async def slow(e: OrderPlaced) -> None:
        placed_started.set()
        await release.wait()

    bus.subscribe(OrderPlaced, slow)
    bus.subscribe(PaymentReceived, lambda e: payments.append(e.amount))
    await bus.publish(OrderPlaced(order_id="o"))
    await placed_started.wait()
    await bus.publish(PaymentReceived(amount=3))
    await asyncio.sleep(0.01)
    assert payments == [3]  # not stuck behind the slow OrderPlaced handler
    release.set()
    await bus.flush()


async def test_a_custom_parallel_runner_is_used(make_bus: Callable[..., EventBusImpl]) -> None:
    class CountingParallel:
        def __init__(self) -> None:
            self.batches: list[int] = []

        async def gather(self, *awaitables: object) -> list[object]:
            self.batches.append(len(awaitables))
            return list(await asyncio.gather(*awaitables))  # type: ignore[call-overload]

    runner = CountingParallel()
    bus = EventBusImpl(parallel=runner)
    seen: list[str] = []
    bus.subscribe(OrderPlaced, lambda e: seen.append("a"))
    bus.subscribe(OrderPlaced, lambda e: seen.append("b"))
    await bus.publish(OrderPlaced(order_id="o"))
    await bus.flush()
    await bus.close()
    assert runner.batches == [2]
    assert sorted(seen) == ["a", "b"]
    with pytest.raises(TypeError, match="gather"):
        EventBusImpl(parallel=object())  # type: ignore[arg-type]


async def test_bad_subscriptions_and_events_are_refused(bus: EventBusImpl) -> None:
    with pytest.raises(TypeError, match="event class"):
        bus.subscribe("OrderPlaced", print)  # type: ignore[arg-type]
    with pytest.raises(TypeError, match="handle"):
        bus.subscribe(OrderPlaced, 3)
    with pytest.raises(TypeError, match="the class OrderPlaced"):
        await bus.publish(OrderPlaced)
    with pytest.raises(TypeError, match="expects an event"):
        await bus.publish("order placed")
    with pytest.raises(TypeError, match="expects an event"):
        await bus.publish(None)


async def test_ordering_holds_under_parallel_dispatch_with_overlapping_subscriptions(
    make_bus: Callable[..., EventBusImpl],
) -> None:
    bus = make_bus(parallel_dispatch=True, max_concurrent_handlers=2)
    delays = random.Random(7)
    logs: dict[str, list[str]] = {"orders": [], "placed": [], "all": [], "payments": []}
    busy: set[str] = set()

    def make_handler(name: str) -> Callable[[object], object]:
        async def handler(e: object) -> None:
            assert name not in busy, f"{name} ran two events at once"
            busy.add(name)
            await asyncio.sleep(delays.random() / 1000)
            logs[name].append(getattr(e, "order_id", None) or f"pay{getattr(e, 'amount', '')}")
            busy.discard(name)

        return handler

    bus.subscribe(OrderEvent, make_handler("orders"))
    bus.subscribe(OrderPlaced, make_handler("placed"))
    bus.subscribe_all(make_handler("all"))
    bus.subscribe(PaymentReceived, make_handler("payments"))
    published: list[object] = []
    for i in range(60):
        kind = delays.choice([OrderPlaced, OrderShipped, PaymentReceived])
        message = kind(amount=i) if kind is PaymentReceived else kind(order_id=f"o{i}")
        published.append(message)
        await bus.publish(message)
    await bus.flush()

    def ids(kinds: tuple[type, ...]) -> list[str]:
        return [
            getattr(e, "order_id", None) or f"pay{getattr(e, 'amount', '')}"
            for e in published
            if isinstance(e, kinds)
        ]

    assert logs["orders"] == ids((OrderEvent,))
    assert logs["placed"] == ids((OrderPlaced,))
    assert logs["all"] == ids((object,))
    assert logs["payments"] == ids((PaymentReceived,))


async def test_has_handlers(bus: EventBusImpl) -> None:
    assert not bus.has_handlers(OrderPlaced)
    bus.subscribe(OrderEvent, lambda e: None)
    assert bus.has_handlers(OrderPlaced)
    assert not bus.has_handlers(PaymentReceived)
