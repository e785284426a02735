"""The query bus: one handler per query type, and result caching for cacheable handlers."""

from __future__ import annotations

import asyncio
from dataclasses import dataclass

import pytest

from lexigram.events import (
    DuplicateHandlerError,
    Err,
    HandlerNotFoundError,
    QueryBus,
    QueryBusImpl,
    QueryExecutionError,
    clear_handler_registry,
    query_handler,
)
from lexigram.events.buses import query
from lexigram.events.config import QueryBusConfig

from .messages import GetOrder, ListOrders


class CountingReadModel:
    """A read model that counts how often it is asked."""

    def __init__(self) -> None:
        self.reads = 0

    async def get(self, order_id: str) -> dict[str, str]:
        self.reads += 1
        return {"id": order_id}


async def test_the_bus_name_is_the_implementation() -> None:
    assert QueryBus is QueryBusImpl
    assert query.QueryBus is QueryBusImpl


async def test_a_query_returns_its_handlers_result() -> None:
    bus = QueryBus()
    bus.register(GetOrder, lambda q: {"id": q.order_id})
    assert await bus.execute(GetOrder(order_id="o-1")) == {"id": "o-1"}


async def test_one_handler_per_query_type() -> None:
    bus = QueryBus()
    bus.register(GetOrder, lambda q: 1)
    with pytest.raises(DuplicateHandlerError, match="GetOrder"):
        bus.register(GetOrder, lambda q: 2)
    with pytest.raises(HandlerNotFoundError, match="ListOrders"):
        await bus.execute(ListOrders(customer_id="c"))
    with pytest.raises(TypeError, match="execute"):
        await bus.execute(None)


async def test_failures_become_query_execution_errors() -> None:
    bus = QueryBus(config=QueryBusConfig(timeout_seconds=0.02))

    async def broken(q: GetOrder) -> None:
        raise RuntimeError("read model offline")

    async def slow(q: ListOrders) -> None:
        await asyncio.sleep(10)

    bus.register(GetOrder, broken)
    bus.register(ListOrders, slow)
    with pytest.raises(QueryExecutionError, match="read model offline") as caught:
        await bus.execute(GetOrder(order_id="o"))
    assert caught.value.query_type == "GetOrder"
    assert isinstance(caught.value.__cause__, RuntimeError)
    with pytest.raises(QueryExecutionError, match="timed out") as timed_out:
        await bus.execute(ListOrders(customer_id="c"))
    assert "ListOrders" in str(timed_out.value)


async def test_a_cacheable_function_handler_is_called_once_per_payload() -> None:
    model = CountingReadModel()

    @query_handler(GetOrder, cacheable=True, cache_ttl=300)
    async def get_order(q: GetOrder) -> dict[str, str]:
        return await model.get(q.order_id)

    bus = QueryBus()
    bus.register(GetOrder, get_order)
    first = await bus.execute(GetOrder(order_id="o-1"))
    again = await bus.execute(GetOrder(order_id="o-1"))  # a new query: other id and timestamp
    other = await bus.execute(GetOrder(order_id="o-2"))
    assert first == again == {"id": "o-1"}
    assert other == {"id": "o-2"}
    assert model.reads == 2


async def test_cacheable_metadata_is_read_from_a_class_or_a_bound_method() -> None:
    model = CountingReadModel()

    @query_handler(GetOrder, cacheable=True)
    class GetOrderHandler:
        async def handle(self, q: GetOrder) -> dict[str, str]:
            return await model.get(q.order_id)

    class Lister:
        @query_handler(ListOrders, cacheable=True)
        async def list_orders(self, q: ListOrders) -> list[str]:
            model.reads += 1
            return [q.customer_id]

    bus = QueryBus()
    bus.register(GetOrder, GetOrderHandler)
    bus.register(ListOrders, Lister().list_orders)
    for _ in range(3):
        await bus.execute(GetOrder(order_id="o-1"))
        await bus.execute(ListOrders(customer_id="c-1"))
    assert model.reads == 2


async def test_handlers_not_declared_cacheable_are_always_called() -> None:
    model = CountingReadModel()
    bus = QueryBus()
    bus.register(GetOrder, lambda q: model.get(q.order_id))
    for _ in range(3):
        await bus.execute(GetOrder(order_id="o-1"))
    assert model.reads == 3


async def test_cached_results_expire_after_their_ttl() -> None:
    model = CountingReadModel()

    @query_handler(GetOrder, cacheable=True)
    async def get_order(q: GetOrder) -> dict[str, str]:
        return await model.get(q.order_id)

    bus = QueryBus(config=QueryBusConfig(default_cache_ttl_seconds=0.02))
    bus.register(GetOrder, get_order)
    await bus.execute(GetOrder(order_id="o-1"))
    await bus.execute(GetOrder(order_id="o-1"))
    assert model.reads == 1
    await asyncio.sleep(0.03)
    await bus.execute(GetOrder(order_id="o-1"))
    assert model.reads == 2


async def test_the_cache_keeps_the_most_recently_used_entries() -> None:
    model = CountingReadModel()

    @query_handler(GetOrder, cacheable=True)
    async def get_order(q: GetOrder) -> dict[str, str]:
        return await model.get(q.order_id)

    bus = QueryBus(config=QueryBusConfig(cache_max_entries=2))
    bus.register(GetOrder, get_order)
    for order_id in ("a", "b", "a", "c"):  # "b" is least recently used when "c" arrives
        await bus.execute(GetOrder(order_id=order_id))
    assert model.reads == 3
    await bus.execute(GetOrder(order_id="a"))
    assert model.reads == 3
    await bus.execute(GetOrder(order_id="b"))
    assert model.reads == 4


async def test_cache_max_entries_zero_turns_caching_off() -> None:
    model = CountingReadModel()

    @query_handler(GetOrder, cacheable=True)
    async def get_order(q: GetOrder) -> dict[str, str]:
        return await model.get(q.order_id)

    bus = QueryBus(config=QueryBusConfig(cache_max_entries=0))
    bus.register(GetOrder, get_order)
    await bus.execute(GetOrder(order_id="a"))
    await bus.execute(GetOrder(order_id="a"))
    assert model.reads == 2


async def test_unhashable_payloads_and_err_results_are_not_cached() -> None:
    calls: list[str] = []

    @query_handler(ListOrders, cacheable=True)
    async def list_orders(q: ListOrders) -> object:
        calls.append(q.customer_id)
        return Err("not allowed") if q.customer_id == "banned" else ["o-1"]

    bus = QueryBus()
    bus.register(ListOrders, list_orders)
    for _ in range(2):
        assert await bus.execute(ListOrders(customer_id="c", tags=["vip"])) == ["o-1"]
        assert await bus.execute(ListOrders(customer_id="banned")) == Err("not allowed")
        assert await bus.execute(ListOrders(customer_id="c")) == ["o-1"]
    assert calls == ["c", "banned", "c", "c", "banned"]


async def test_clear_cache_drops_everything_or_one_query_type() -> None:
    model = CountingReadModel()

    @query_handler(GetOrder, cacheable=True)
    async def get_order(q: GetOrder) -> dict[str, str]:
        return await model.get(q.order_id)

    @query_handler(ListOrders, cacheable=True)
    async def list_orders(q: ListOrders) -> list[str]:
        model.reads += 1
        return []

    bus = QueryBus()
    bus.register(GetOrder, get_order)
    bus.register(ListOrders, list_orders)
    await bus.execute(GetOrder(order_id="a"))
    await bus.execute(ListOrders(customer_id="c"))
    assert bus.clear_cache(GetOrder) == 1
    await bus.execute(GetOrder(order_id="a"))
    await bus.execute(ListOrders(customer_id="c"))
    assert model.reads == 3
    assert bus.clear_cache() == 2


async def test_dataclass_queries_are_cached_by_their_fields() -> None:
    @dataclass(frozen=True)
    class Lookup:
        key: str

    calls: list[str] = []

    @query_handler(Lookup, cacheable=True)
    def lookup(q: Lookup) -> str:
        calls.append(q.key)
        return q.key.upper()

    bus = QueryBus()
    bus.register(Lookup, lookup)
    assert [await bus.execute(Lookup(key=k)) for k in ("a", "a", "b")] == ["A", "A", "B"]
    assert calls == ["a", "b"]


async def test_middleware_still_sees_cached_queries() -> None:
    seen: list[str] = []

    async def audit(message: object, next_handler: object) -> object:
        seen.append(type(message).__name__)
        return await next_handler(message)  # type: ignore[operator]

    @query_handler(GetOrder, cacheable=True)
    async def get_order(q: GetOrder) -> str:
        return q.order_id

    bus = QueryBus(middlewares=[audit])
    bus.register(GetOrder, get_order)
    await bus.execute(GetOrder(order_id="a"))
    await bus.execute(GetOrder(order_id="a"))
    assert seen == ["GetOrder", "GetOrder"]


async def test_cacheable_metadata_survives_clearing_the_handler_registry() -> None:
    calls: list[str] = []

    @query_handler(GetOrder, cacheable=True)
    async def get_order(q: GetOrder) -> str:
        calls.append(q.order_id)
        return q.order_id

    clear_handler_registry()  # e.g. a test fixture, after the module was imported
    bus = QueryBus()
    bus.register(GetOrder, get_order)
    await bus.execute(GetOrder(order_id="a"))
    await bus.execute(GetOrder(order_id="a"))
    assert calls == ["a"]
