"""What watches the event bus: middleware, hooks and tracers."""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterator, Mapping
from contextlib import contextmanager
from typing import Any

import pytest

from lexigram.events import (
    DispatchResult,
    EventBusImpl,
    EventHandledHook,
    EventPublishedHook,
    EventStoredHook,
    NextHandler,
)

from .messages import OrderPlaced, PaymentReceived


class RecordingHooks:
    def __init__(self) -> None:
        self.calls: list[tuple[str, Any]] = []

    def call_action(self, name: str, payload: Any = None) -> None:
        self.calls.append((name, payload))


class AsyncRecordingHooks(RecordingHooks):
    async def call_action(self, name: str, payload: Any = None) -> None:  # type: ignore[override]
        self.calls.append((name, payload))


async def test_middleware_runs_once_per_event_around_all_its_handlers(
    make_bus: Callable[..., EventBusImpl],
) -> None:
    log: list[str] = []

    async def around(event: Any, next_handler: NextHandler) -> Any:
        log.append("before")
        outcome = await next_handler(event)
        log.append(f"after: {len(outcome.handler_results)} handled, errors={outcome.has_errors}")
        return outcome

    bus = make_bus(middlewares=[around])
    bus.subscribe(OrderPlaced, lambda e: log.append("a"))
    bus.subscribe(OrderPlaced, lambda e: log.append("b"))
    await bus.publish(OrderPlaced(order_id="o"))
    await bus.flush()
    assert log[0] == "before"
    assert sorted(log[1:3]) == ["a", "b"]
    assert log[3] == "after: 2 handled, errors=False"


async def test_middleware_order_and_short_circuit(make_bus: Callable[..., EventBusImpl]) -> None:
    log: list[str] = []

    def named(name: str) -> Callable[[Any, NextHandler], Any]:
        async def middleware(event: Any, next_handler: NextHandler) -> Any:
            log.append(name)
            return await next_handler(event)

        return middleware

    async def drop_payments(event: Any, next_handler: NextHandler) -> Any:
        if isinstance(event, PaymentReceived):
            return DispatchResult()
        return await next_handler(event)

    bus = make_bus(middlewares=[named("outer")]).use(named("inner")).use(drop_payments)
    handled: list[str] = []
    bus.subscribe_all(lambda e: handled.append(type(e).__name__))
    await bus.publish(PaymentReceived(amount=1))
    await bus.publish(OrderPlaced(order_id="o"))
    await bus.flush()
    assert log == ["outer", "inner", "outer", "inner"]
    assert handled == ["OrderPlaced"]  # the payment never reached its handler
    assert len(bus.middlewares) == 3


async def test_a_middleware_may_replace_the_event(make_bus: Callable[..., EventBusImpl]) -> None:
    async def stamp(event: Any, next_handler: NextHandler) -> Any:
        return await next_handler(event._replace(actor_id="system"))

    bus = make_bus(middlewares=[stamp])
    actors: list[str | None] = []
    bus.subscribe(OrderPlaced, lambda e: actors.append(e.actor_id))
    await bus.publish(OrderPlaced(order_id="o"))
    await bus.flush()
    assert actors == ["system"]


async def test_a_failing_middleware_is_logged_and_the_next_event_still_flows(
    make_bus: Callable[..., EventBusImpl], caplog: pytest.LogCaptureFixture
) -> None:
    async def fussy(event: Any, next_handler: NextHandler) -> Any:
        if getattr(event, "order_id", "") == "bad":
            raise RuntimeError("middleware broke")
        return await next_handler(event)

    bus = make_bus(middlewares=[fussy])
    handled: list[str] = []
    bus.subscribe(OrderPlaced, lambda e: handled.append(e.order_id))
    with caplog.at_level(logging.ERROR, logger="lexigram.events.bus"):
        await bus.publish(OrderPlaced(order_id="bad"))
        await bus.publish(OrderPlaced(order_id="good"))
        await bus.flush()
    assert handled == ["good"]
    assert any("outside its handlers" in r.getMessage() for r in caplog.records)


async def test_middleware_instances_not_classes(bus: EventBusImpl) -> None:
    class Audit:
        async def __call__(self, event: Any, next_handler: NextHandler) -> Any:
            return await next_handler(event)

    with pytest.raises(TypeError, match=r"Audit\(\)"):
        bus.use(Audit)
    with pytest.raises(TypeError, match="async callable"):
        EventBusImpl(middlewares=["not callable"])  # type: ignore[list-item]


@pytest.mark.parametrize("hooks_class", [RecordingHooks, AsyncRecordingHooks])
async def test_hooks_fire_on_publish_and_on_each_successful_handling(
    make_bus: Callable[..., EventBusImpl], hooks_class: type[RecordingHooks]
) -> None:
    hooks = hooks_class()
    bus = make_bus(retry_failed_handlers=False)
    bus.set_hook_registry(hooks)

    def welcome(e: OrderPlaced) -> None:
        pass

    def broken(e: OrderPlaced) -> None:
        raise ValueError("no")

    bus.subscribe(OrderPlaced, welcome)
    bus.subscribe(OrderPlaced, broken)
    await bus.publish(OrderPlaced(order_id="o", aggregate_id="order-1"))
    await bus.flush()
    event_type = f"{OrderPlaced.__module__}.OrderPlaced"
    assert hooks.calls == [
        ("event.published", EventPublishedHook(event_type, "order-1")),
        ("event.handled", EventHandledHook(event_type, f"{welcome.__module__}.{welcome.__qualname__}")),
    ]
    bus.set_hook_registry(None)
    await bus.publish(OrderPlaced(order_id="o"))
    await bus.flush()
    assert len(hooks.calls) == 2


async def test_a_failing_hook_is_logged_and_ignored(caplog: pytest.LogCaptureFixture) -> None:
    class BrokenHooks:
        def call_action(self, name: str, payload: Any = None) -> None:
            raise RuntimeError("hook exploded")

    bus = EventBusImpl(hooks=BrokenHooks())
    handled: list[str] = []
    bus.subscribe(OrderPlaced, lambda e: handled.append(e.order_id))
    with caplog.at_level(logging.ERROR, logger="lexigram.events.bus"):
        assert (await bus.publish(OrderPlaced(order_id="o"))).is_ok()
        await bus.flush()
    await bus.close()
    assert handled == ["o"]
    assert await bus.dead_letter_store.get_count() == 0
    assert sum("hook failed" in r.getMessage() for r in caplog.records) == 2


async def test_hook_registries_are_checked() -> None:
    with pytest.raises(TypeError, match="call_action"):
        EventBusImpl(hooks=object())  # type: ignore[arg-type]
    assert EventStoredHook("app.OrderPlaced", "order-1").stream_id == "order-1"


class RecordingTracer:
    def __init__(self) -> None:
        self.spans: list[tuple[str, dict[str, Any]]] = []
        self.open = 0

    @contextmanager
    def start_span(self, name: str, attributes: Mapping[str, Any] | None = None) -> Iterator[None]:
        self.spans.append((name, dict(attributes or {})))
        self.open += 1
        try:
            yield
        finally:
            self.open -= 1


async def test_a_tracer_gets_one_span_per_event_delivery(make_bus: Callable[..., EventBusImpl]) -> None:
    tracer = RecordingTracer()
    bus = make_bus()
    bus.set_tracer(tracer)
    inside: list[int] = []
    bus.subscribe(OrderPlaced, lambda e: inside.append(tracer.open))
    bus.subscribe(OrderPlaced, lambda e: inside.append(tracer.open))
    placed = OrderPlaced(order_id="o")
    await bus.publish(placed)
    await bus.flush()
    assert inside == [1, 1]
    [(name, attributes)] = tracer.spans
    assert name == "deliver OrderPlaced"
    assert attributes["event.type"].endswith(".OrderPlaced")
    assert attributes["event.id"] == str(placed.event_id)
    bus.set_tracer(None)
    await bus.publish(placed)
    await bus.flush()
    assert len(tracer.spans) == 1
    with pytest.raises(TypeError, match="start_span"):
        bus.set_tracer(object())  # type: ignore[arg-type]
