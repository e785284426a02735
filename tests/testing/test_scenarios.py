"""The given/when/then helpers, as a user of the testing kit writes them."""

from __future__ import annotations

from typing import Any

import pytest

from lexigram.contracts.domain import DomainEvent
from lexigram.events import (
    AggregateNotFoundError,
    AggregateRoot,
    Command,
    EventSourcingRepository,
    InvalidOperationError,
)
from lexigram.events.testing import AggregateScenario, CommandHandlerScenario, assert_events_match


class OrderPlaced(DomainEvent):
    order_id: str


class OrderShipped(DomainEvent):
    order_id: str
    tracking: str


class Order(AggregateRoot):
    status: str = "new"

    @classmethod
    def place(cls, order_id: str) -> Order:
        order = cls(order_id)
        order._apply(OrderPlaced(order_id=order_id))
        return order

    def ship(self, tracking: str) -> None:
        if self.status == "shipped":
            raise InvalidOperationError(f"order {self.id} is already shipped")
        if self.status != "placed":
            raise InvalidOperationError("place the order first")
        self._apply(OrderShipped(order_id=str(self.id), tracking=tracking))

    def _handle_order_placed(self, event: OrderPlaced) -> None:
        self.status = "placed"

    def _handle_order_shipped(self, event: OrderShipped) -> None:
        self.status = "shipped"


class ShipOrder(Command):
    order_id: str
    tracking: str


class ShipOrderHandler:
    def __init__(self, repository: EventSourcingRepository[Order]) -> None:
        self.repository = repository

    async def handle(self, command: ShipOrder) -> str:
        order = await self.repository.get_or_raise(command.order_id)
        order.ship(command.tracking)
        await self.repository.save(order)
        return command.tracking


def _scenario() -> CommandHandlerScenario:
    return CommandHandlerScenario(lambda store: ShipOrderHandler(EventSourcingRepository(Order, store)))


# --- aggregates ------------------------------------------------------------------------------


def test_given_when_then_new_events() -> None:
    (
        AggregateScenario(Order, "o-1")
        .given(OrderPlaced(order_id="o-1"))
        .when(lambda order: order.ship("T-1"))
        .then(OrderShipped(order_id="o-1", tracking="T-1"))
    )


def test_then_raises_returns_the_error() -> None:
    error = (
        AggregateScenario(Order, "o-1")
        .given(OrderPlaced(order_id="o-1"), OrderShipped(order_id="o-1", tracking="T-1"))
        .when(lambda order: order.ship("T-2"))
        .then_raises(InvalidOperationError, match="already shipped")
    )
    assert "o-1" in str(error)


def test_a_behaviour_may_create_the_aggregate() -> None:
    scenario = AggregateScenario(Order).when(lambda _: Order.place("o-9")).then(OrderPlaced(order_id="o-9"))
    assert scenario.aggregate is not None
    assert scenario.aggregate.status == "placed"


def test_then_without_events_expects_none_and_classes_match_any_payload() -> None:
    AggregateScenario(Order, "o-1").when(lambda order: None).then()
    AggregateScenario(Order, "o-1").given(OrderPlaced(order_id="o-1")).when(lambda o: o.ship("X")).then(
        OrderShipped
    )


def test_a_wrong_event_fails_with_a_readable_report() -> None:
    scenario = (
        AggregateScenario(Order, "o-1").given(OrderPlaced(order_id="o-1")).when(lambda o: o.ship("T-1"))
    )
    with pytest.raises(AssertionError) as caught:
        scenario.then(OrderShipped(order_id="o-1", tracking="T-9"), OrderPlaced(order_id="o-2"))
    report = str(caught.value)
    assert "expected 2 new events, got 1" in report
    assert "[1] differs   expected OrderShipped(order_id='o-1', tracking='T-9')" in report
    assert "got      OrderShipped(order_id='o-1', tracking='T-1')" in report
    assert "tracking: expected 'T-9', got 'T-1'" in report
    assert "[2] missing   expected OrderPlaced(order_id='o-2')" in report


def test_an_unexpected_error_is_reported_by_then() -> None:
    scenario = AggregateScenario(Order, "o-1").when(lambda order: order.ship("T-1"))
    with pytest.raises(AssertionError, match="raised InvalidOperationError: place the order first"):
        scenario.then(OrderShipped(order_id="o-1", tracking="T-1"))


def test_then_raises_reports_a_missing_or_different_error() -> None:
    passing = AggregateScenario(Order, "o-1").given(OrderPlaced(order_id="o-1")).when(lambda o: o.ship("T"))
    with pytest.raises(AssertionError, match="did not raise"):
        passing.then_raises(InvalidOperationError)
    failing = AggregateScenario(Order, "o-1").when(lambda order: order.ship("T"))
    with pytest.raises(AssertionError, match="expected the behaviour to raise KeyError"):
        failing.then_raises(KeyError)
    with pytest.raises(AssertionError, match="does not match"):
        failing.then_raises(InvalidOperationError, match="already shipped")


def test_then_before_when_is_a_usage_error() -> None:
    with pytest.raises(RuntimeError, match="call when"):
        AggregateScenario(Order).then()


def test_async_behaviours_are_refused() -> None:
    async def behaviour(order: Order) -> None:
        return None

    with pytest.raises(TypeError, match="synchronous"):
        AggregateScenario(Order).when(behaviour)


# --- command handlers ------------------------------------------------------------------------


async def test_given_events_when_a_command_then_new_events_and_result() -> None:
    scenario = _scenario().given(OrderPlaced(order_id="o-1"), stream_id="o-1")
    await scenario.when(ShipOrder(order_id="o-1", tracking="T-1"))
    scenario.then(OrderShipped(order_id="o-1", tracking="T-1")).then_result("T-1")
    assert [e.sequence_number for e in scenario.new_events] == [2]


async def test_given_events_go_to_their_inferred_streams() -> None:
    scenario = _scenario().given(OrderPlaced(order_id="o-1"), OrderPlaced(order_id="o-2"))
    await scenario.when(ShipOrder(order_id="o-2", tracking="T-2"))
    scenario.then(OrderShipped(order_id="o-2", tracking="T-2"))
    assert sorted(await scenario.event_store.get_stream_ids()) == ["o-1", "o-2"]


async def test_a_failing_command_appends_nothing() -> None:
    scenario = await _scenario().when(ShipOrder(order_id="o-404", tracking="T"))
    scenario.then_raises(AggregateNotFoundError, match="o-404")
    assert scenario.new_events == []
    with pytest.raises(AssertionError, match="raised AggregateNotFoundError"):
        scenario.then()
    with pytest.raises(AssertionError, match="expected the result 'T'"):
        scenario.then_result("T")


async def test_function_handlers_and_async_factories_work() -> None:
    async def factory(store: Any) -> Any:
        async def handle(command: ShipOrder) -> int:
            await store.append(command.order_id, [OrderShipped(order_id=command.order_id, tracking="T")])
            return 1

        return handle

    scenario = await CommandHandlerScenario(factory).when(ShipOrder(order_id="o-1", tracking="T"))
    scenario.then(OrderShipped(order_id="o-1", tracking="T")).then_result(1)
    with pytest.raises(AssertionError, match="to return 2, got 1"):
        scenario.then_result(2)


def test_then_before_when_on_a_handler_is_a_usage_error() -> None:
    with pytest.raises(RuntimeError, match=r"await scenario\.when"):
        _scenario().then()


# --- matching -------------------------------------------------------------------------------


def test_envelope_fields_are_ignored_and_extra_events_are_reported() -> None:
    stored = OrderPlaced(order_id="o-1", aggregate_id="o-1", correlation_id="c", sequence_number=9)
    assert_events_match([stored], [OrderPlaced(order_id="o-1")])
    with pytest.raises(AssertionError, match=r"\[2\] extra     got      OrderPlaced\(order_id='o-2'\)"):
        assert_events_match([stored, OrderPlaced(order_id="o-2")], [OrderPlaced(order_id="o-1")])
    with pytest.raises(AssertionError, match="is a OrderPlaced, not a OrderShipped"):
        assert_events_match([stored], [OrderShipped(order_id="o-1", tracking="T")])


# --- the pytest plugin ----------------------------------------------------------------------


async def test_the_plugin_fixtures_give_fresh_stores(
    in_memory_event_store: Any, in_memory_snapshot_store: Any
) -> None:
    assert await in_memory_event_store.get_stream_ids() == []
    assert in_memory_event_store.max_events_per_stream == 0
    assert await in_memory_snapshot_store.load("anything") is None
