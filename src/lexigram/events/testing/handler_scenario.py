"""Given/when/then tests for command handlers, on a fresh ``InMemoryEventStore``.

Given events already in the store, when a command is handled, then expect the events the handler
appended, its result, or its error::

    from lexigram.events.testing import CommandHandlerScenario

    async def test_shipping_appends_order_shipped() -> None:
        scenario = CommandHandlerScenario(
            lambda store: ShipOrderHandler(EventSourcingRepository(Order, store))
        )
        scenario.given(OrderPlaced(order_id="o-1"), stream_id="o-1")
        await scenario.when(ShipOrder(order_id="o-1", tracking="T-1"))
        scenario.then(OrderShipped(order_id="o-1", tracking="T-1")).then_result(None)

The factory receives the scenario's event store and returns the handler: an object with a
``handle`` method, or a function; either may be sync or async. Without ``stream_id``, each given
event goes to its own inferred stream (``aggregate_id``, else its first ``*_id`` payload field).
"""

from __future__ import annotations

import inspect
from collections.abc import Callable
from typing import Any, Self

from lexigram.events.stores.memory import InMemoryEventStore
from lexigram.events.testing.matching import assert_events_match, assert_raised, describe_event

__all__ = ["CommandHandlerScenario"]

_NOT_RUN: Any = object()


class CommandHandlerScenario:
    """A given/when/then test of one command handler built by ``handler_factory(event_store)``."""

    def __init__(self, handler_factory: Callable[[InMemoryEventStore], Any]) -> None:
        self.handler_factory = handler_factory
        self.event_store = InMemoryEventStore(max_events_per_stream=0)
        """The store the handler works on."""
        self.new_events: list[Any] = []
        """The events appended while the command was handled."""
        self.result: Any = _NOT_RUN
        """What the handler returned."""
        self.error: BaseException | None = None
        """What the handler raised, if anything."""
        self._given: list[tuple[str | None, list[Any]]] = []

    def given(self, *events: Any, stream_id: str | None = None) -> Self:
        """Events already in the store when the command arrives (appended in order)."""
        self._given.append((stream_id, list(events)))
        return self

    async def when(self, command: Any) -> Self:
        """Seed the store, build the handler, and handle ``command`` once."""
        for stream_id, events in self._given:
            if stream_id is not None:
                await self.event_store.append(stream_id, events)
            else:
                for event in events:
                    await self.event_store.append(event)
        seeded_up_to = self.event_store.get_global_position()
        try:
            handler = self.handler_factory(self.event_store)
            if inspect.isawaitable(handler):
                handler = await handler
            handle = getattr(handler, "handle", handler)
            result = handle(command)
            self.result = await result if inspect.isawaitable(result) else result
        except Exception as error:  # recorded for then_raises(); then() reports it
            self.error = error
            self.result = None
        self.new_events = await self.event_store.read_all(seeded_up_to)
        return self

    def then(self, *expected: Any) -> Self:
        """Expect exactly these new events in the store, in order (none, without arguments)."""
        self._ensure_ran()
        if self.error is not None:
            wanted = ", ".join(map(describe_event, expected)) or "no events"
            raise AssertionError(
                f"expected {wanted}, but the handler raised {type(self.error).__name__}: {self.error}"
            ) from self.error
        assert_events_match(self.new_events, expected, what="new events")
        return self

    def then_result(self, expected: Any) -> Self:
        """Expect the handler to have returned a value equal to ``expected``."""
        self._ensure_ran()
        if self.error is not None:
            raise AssertionError(
                f"expected the result {expected!r}, but the handler raised "
                f"{type(self.error).__name__}: {self.error}"
            ) from self.error
        if self.result != expected:
            raise AssertionError(f"expected the handler to return {expected!r}, got {self.result!r}")
        return self

    def then_raises(self, error_type: type[BaseException], match: str | None = None) -> BaseException:
        """Expect the handler to have raised ``error_type`` (message matching ``match``); return it."""
        self._ensure_ran()
        return assert_raised(self.error, error_type, match, action="the handler")

    def _ensure_ran(self) -> None:
        if self.result is _NOT_RUN:
            raise RuntimeError("await scenario.when(command) before then()")
