"""Given/when/then tests for aggregates.

Given past events, when a behaviour is invoked, then expect new events or an error::

    from lexigram.events.testing import AggregateScenario

    def test_a_placed_order_can_be_shipped() -> None:
        (AggregateScenario(Order, "o-1")
            .given(OrderPlaced(order_id="o-1"))
            .when(lambda order: order.ship("T-1"))
            .then(OrderShipped(order_id="o-1", tracking="T-1")))

    def test_a_shipped_order_cannot_be_shipped_again() -> None:
        (AggregateScenario(Order, "o-1")
            .given(OrderPlaced(order_id="o-1"), OrderShipped(order_id="o-1", tracking="T-1"))
            .when(lambda order: order.ship("T-2"))
            .then_raises(InvalidOperationError, match="already shipped"))

Events are compared by class and payload (see ``assert_events_match``); ``then()`` with no
arguments expects no new events. A behaviour that creates the aggregate, such as
``.when(lambda _: Order.create(...))``, may return it: the events of the returned aggregate are
checked. ``scenario.aggregate`` and ``scenario.result`` are there for further assertions.
"""

from __future__ import annotations

import inspect
from collections.abc import Callable
from typing import Any, Generic, Self, TypeVar

from lexigram.events.aggregates.aggregate import AggregateRoot, new_aggregate
from lexigram.events.testing.matching import assert_events_match, assert_raised, describe_event

__all__ = ["AggregateScenario"]

TAggregate = TypeVar("TAggregate", bound=AggregateRoot)


class AggregateScenario(Generic[TAggregate]):
    """A given/when/then test of one aggregate class (``aggregate_id`` defaults to a fresh UUID)."""

    def __init__(self, aggregate_type: type[TAggregate], aggregate_id: Any = None) -> None:
        self.aggregate_type = aggregate_type
        self.aggregate_id = aggregate_id
        self.history: list[Any] = []
        self.aggregate: TAggregate | None = None
        """The aggregate after ``when`` (the one the behaviour returned, if it returned one)."""
        self.result: Any = None
        """What the behaviour returned."""
        self.error: BaseException | None = None
        """What the behaviour raised, if anything."""
        self._ran = False

    def given(self, *events: Any) -> Self:
        """Past events, replayed into the aggregate before the behaviour runs."""
        self.history.extend(events)
        return self

    def when(self, behaviour: Callable[[TAggregate], Any]) -> Self:
        """Build the aggregate from the given events and invoke ``behaviour(aggregate)`` once."""
        aggregate = new_aggregate(self.aggregate_type, self.aggregate_id)
        if self.aggregate_id is None:
            self.aggregate_id = aggregate.id
        aggregate.load_from_history(self.history)
        self.aggregate, self._ran = aggregate, True
        try:
            self.result = behaviour(aggregate)
        except Exception as error:  # recorded for then_raises(); then() reports it
            self.error = error
            return self
        if inspect.isawaitable(self.result):
            if inspect.iscoroutine(self.result):
                self.result.close()
            raise TypeError("the behaviour returned an awaitable; aggregate behaviours are synchronous")
        if isinstance(self.result, self.aggregate_type):
            self.aggregate = self.result
        return self

    @property
    def new_events(self) -> list[Any]:
        """The events the behaviour recorded."""
        return self._aggregate_after_when().get_pending_events()

    def then(self, *expected: Any) -> Self:
        """Expect exactly these new events, in order (none, when called without arguments)."""
        aggregate = self._aggregate_after_when()
        if self.error is not None:
            wanted = ", ".join(map(describe_event, expected)) or "no events"
            raise AssertionError(
                f"expected {wanted}, but the behaviour raised {type(self.error).__name__}: {self.error}"
            ) from self.error
        assert_events_match(aggregate.get_pending_events(), expected, what="new events")
        return self

    def then_raises(self, error_type: type[BaseException], match: str | None = None) -> BaseException:
        """Expect the behaviour to have raised ``error_type`` (message matching ``match``); return it."""
        self._aggregate_after_when()
        return assert_raised(self.error, error_type, match, action="the behaviour")

    def _aggregate_after_when(self) -> TAggregate:
        if not self._ran or self.aggregate is None:
            raise RuntimeError("call when(behaviour) before then()")
        return self.aggregate
