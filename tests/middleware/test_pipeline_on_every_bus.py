"""The six middlewares, chained in the recommended order, on each of the three buses."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from lexigram.events import (
    AbstractMiddleware,
    CircuitBreakerMiddleware,
    Command,
    CommandBusImpl,
    DomainEvent,
    EventBusImpl,
    LoggingMiddleware,
    MetricsMiddleware,
    NextHandler,
    Query,
    QueryBusImpl,
    RetryMiddleware,
    TransactionMiddleware,
    ValidationMiddleware,
)


@dataclass
class RenameCustomer(Command):
    customer_id: str
    name: str


class GetCustomer(Query):
    customer_id: str


class CustomerRenamed(DomainEvent):
    customer_id: str


def full_pipeline(metrics: MetricsMiddleware) -> list[Any]:
    return [
        ValidationMiddleware(),
        TransactionMiddleware(),
        LoggingMiddleware(),
        RetryMiddleware(),
        metrics,
        CircuitBreakerMiddleware(),
    ]


async def test_a_plain_dataclass_command_goes_through_the_whole_pipeline() -> None:
    metrics = MetricsMiddleware()
    bus = CommandBusImpl()
    for middleware in full_pipeline(metrics):
        bus.use(middleware)
    bus.register(RenameCustomer, lambda c: f"renamed {c.customer_id}")
    assert await bus.dispatch(RenameCustomer(customer_id="c-1", name="Ada")) == "renamed c-1"
    assert metrics.snapshot()["RenameCustomer"].calls == 1


async def test_queries_go_through_the_whole_pipeline() -> None:
    metrics = MetricsMiddleware()
    bus = QueryBusImpl(middlewares=full_pipeline(metrics))
    bus.register(GetCustomer, lambda q: {"id": q.customer_id})
    assert await bus.execute(GetCustomer(customer_id="c-1")) == {"id": "c-1"}
    assert metrics.snapshot()["GetCustomer"].calls == 1


async def test_events_go_through_the_whole_pipeline_once_per_event() -> None:
    metrics = MetricsMiddleware()
    bus = EventBusImpl(middlewares=full_pipeline(metrics))
    seen: list[str] = []
    bus.subscribe(CustomerRenamed, lambda e: seen.append("a"))
    bus.subscribe(CustomerRenamed, lambda e: seen.append("b"))
    await bus.publish(CustomerRenamed(customer_id="c-1"))
    await bus.flush()
    await bus.close()
    assert sorted(seen) == ["a", "b"]
    assert metrics.snapshot()["CustomerRenamed"].calls == 1


async def test_middleware_added_after_registration_applies_and_the_first_is_outermost() -> None:
    log: list[str] = []

    class Tag(AbstractMiddleware[Any, Any]):
        def __init__(self, name: str) -> None:
            self.name = name

        async def __call__(self, message: Any, next_handler: NextHandler) -> Any:
            log.append(f"{self.name}>")
            result = await next_handler(message)
            log.append(f"<{self.name}")
            return f"{self.name}({result})"

    bus = CommandBusImpl(middlewares=[Tag("a")])
    bus.register(RenameCustomer, lambda c: "handled")
    assert bus.use(Tag("b")) is bus
    assert await bus.dispatch(RenameCustomer(customer_id="c", name="n")) == "a(b(handled))"
    assert log == ["a>", "b>", "<b", "<a"]


async def test_a_middleware_may_short_circuit() -> None:
    calls: list[str] = []

    async def read_only_mode(message: Any, next_handler: NextHandler) -> Any:
        return "refused: read-only"

    bus = CommandBusImpl(middlewares=[read_only_mode])
    bus.register(RenameCustomer, lambda c: calls.append("handler"))
    assert await bus.dispatch(RenameCustomer(customer_id="c", name="n")) == "refused: read-only"
    assert calls == []
