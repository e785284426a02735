"""Failing event handlers: retries, timeouts, dead letters; publish is never affected."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable

import pytest

from lexigram.events import (
    DeadLetterEntry,
    DeadLetterNotFoundError,
    Err,
    EventBusImpl,
    EventHandlerError,
    InMemoryDeadLetterStore,
    Ok,
)
from lexigram.events.config import EventBusConfig

from .messages import OrderPlaced, PaymentReceived


class Flaky:
    """Fails ``failures`` times, then succeeds."""

    def __init__(self, failures: int) -> None:
        self.failures = failures
        self.calls = 0

    async def handle(self, e: OrderPlaced) -> None:
        self.calls += 1
        if self.calls <= self.failures:
            raise ConnectionError(f"attempt {self.calls} failed")


async def test_a_failing_handler_is_retried_until_it_succeeds(bus: EventBusImpl) -> None:
    flaky = Flaky(failures=2)
    bus.subscribe(OrderPlaced, flaky)
    assert await bus.publish(OrderPlaced(order_id="o")) == Ok(None)
    await bus.flush()
    assert flaky.calls == 3
    assert await bus.dead_letter_store.get_count() == 0


async def test_a_handler_failing_every_attempt_is_dead_lettered(
    make_bus: Callable[..., EventBusImpl], caplog: pytest.LogCaptureFixture
) -> None:
    bus = make_bus(max_handler_retries=2)

    async def send_receipt(e: OrderPlaced) -> None:
        raise ConnectionError("smtp down")

    published = OrderPlaced(order_id="o-1")
    bus.subscribe(OrderPlaced, send_receipt)
    with caplog.at_level(logging.ERROR, logger="lexigram.events.bus"):
        assert (await bus.publish(published)).is_ok()
        await bus.flush()
    [entry] = await bus.dead_letter_store.list_entries()
    assert entry.event is published
    assert entry.event_type == "OrderPlaced"
    assert "send_receipt" in entry.handler_name
    assert "smtp down" in entry.error
    assert entry.attempts == 3
    assert entry.replayed is False
    assert entry.id
    assert entry.created_at.tzinfo is not None
    assert any("send_receipt" in r.getMessage() and "smtp down" in r.getMessage() for r in caplog.records)


async def test_retry_back_off_starts_small_and_doubles_up_to_the_cap(
    make_bus: Callable[..., EventBusImpl], monkeypatch: pytest.MonkeyPatch
) -> None:
    pauses: list[float] = []
    real_sleep = asyncio.sleep

    async def recording_sleep(seconds: float) -> None:
        pauses.append(seconds)
        await real_sleep(0)

    monkeypatch.setattr("lexigram.events.buses.delivery.asyncio.sleep", recording_sleep)
    bus = make_bus(max_handler_retries=4, retry_backoff_seconds=0.01, retry_backoff_max_seconds=0.03)
    bus.subscribe(OrderPlaced, Flaky(failures=10))
    await bus.publish(OrderPlaced(order_id="o"))
    await bus.flush()
    assert pauses == [0.01, 0.02, 0.03, 0.03]


async def test_without_retries_one_failure_is_final(make_bus: Callable[..., EventBusImpl]) -> None:
    bus = make_bus(retry_failed_handlers=False)
    flaky = Flaky(failures=1)
    bus.subscribe(OrderPlaced, flaky)
    await bus.publish(OrderPlaced(order_id="o"))
    await bus.flush()
    assert flaky.calls == 1
    [entry] = await bus.dead_letter_store.list_entries()
    assert entry.attempts == 1


async def test_returning_err_is_a_failure_and_returning_anything_else_is_success(
    make_bus: Callable[..., EventBusImpl],
) -> None:
    bus = make_bus(retry_failed_handlers=False)

    async def refuses(e: OrderPlaced) -> object:
        return Err(EventHandlerError("customer unknown"))

    bus.subscribe(OrderPlaced, refuses)
    bus.subscribe(OrderPlaced, lambda e: Ok(None))
    bus.subscribe(OrderPlaced, lambda e: "some value")
    bus.subscribe(OrderPlaced, lambda e: None)
    await bus.publish(OrderPlaced(order_id="o"))
    await bus.flush()
    [entry] = await bus.dead_letter_store.list_entries()
    assert "refuses" in entry.handler_name
    assert "customer unknown" in entry.error


async def test_a_handler_past_its_timeout_is_cancelled_and_fails(
    make_bus: Callable[..., EventBusImpl],
) -> None:
    bus = make_bus(handler_timeout_seconds=0.02, max_handler_retries=1)
    cancelled = 0

    async def hangs(e: OrderPlaced) -> None:
        nonlocal cancelled
        try:
            await asyncio.sleep(10)
        except asyncio.CancelledError:
            cancelled += 1
            raise

    bus.subscribe(OrderPlaced, hangs)
    await bus.publish(OrderPlaced(order_id="o"))
    await bus.flush()
    assert cancelled == 2
    [entry] = await bus.dead_letter_store.list_entries()
    assert "timed out" in entry.error
    assert entry.attempts == 2


async def test_a_timeout_does_not_disturb_the_following_events(make_bus: Callable[..., EventBusImpl]) -> None:
    bus = make_bus(handler_timeout_seconds=0.02, retry_failed_handlers=False, parallel_dispatch=False)
    handled: list[str] = []

    async def sometimes_hangs(e: OrderPlaced) -> None:
        if e.order_id == "hang":
            await asyncio.sleep(10)
        await asyncio.sleep(0)
        handled.append(e.order_id)

    bus.subscribe(OrderPlaced, sometimes_hangs)
    for order_id in ("a", "hang", "b"):
        await bus.publish(OrderPlaced(order_id=order_id))
    await bus.flush()
    assert handled == ["a", "b"]
    assert await bus.dead_letter_store.get_count() == 1


async def test_one_failing_handler_does_not_stop_the_others(bus: EventBusImpl) -> None:
    delivered: list[str] = []

    def broken(e: OrderPlaced) -> None:
        raise ValueError("bug")

    bus.subscribe(OrderPlaced, broken)
    bus.subscribe(OrderPlaced, lambda e: delivered.append(e.order_id))
    await bus.publish(OrderPlaced(order_id="o-1"))
    await bus.publish(OrderPlaced(order_id="o-2"))
    await bus.flush()
    assert delivered == ["o-1", "o-2"]


async def test_continue_on_error_false_skips_the_rest_of_a_sequential_dispatch(
    make_bus: Callable[..., EventBusImpl],
) -> None:
    bus = make_bus(parallel_dispatch=False, continue_on_error=False, retry_failed_handlers=False)
    ran: list[str] = []

    def first(e: OrderPlaced) -> None:
        ran.append("first")
        if e.order_id == "bad":
            raise ValueError("stop here")

    bus.subscribe(OrderPlaced, first)
    bus.subscribe(OrderPlaced, lambda e: ran.append("second"))
    await bus.publish(OrderPlaced(order_id="bad"))
    await bus.publish(OrderPlaced(order_id="good"))
    await bus.flush()
    assert ran == ["first", "first", "second"]


async def test_continue_on_error_true_runs_every_sequential_handler(
    make_bus: Callable[..., EventBusImpl],
) -> None:
    bus = make_bus(parallel_dispatch=False, retry_failed_handlers=False)
    ran: list[str] = []

    def first(e: OrderPlaced) -> None:
        raise ValueError("keep going")

    bus.subscribe(OrderPlaced, first)
    bus.subscribe(OrderPlaced, lambda e: ran.append("second"))
    await bus.publish(OrderPlaced(order_id="o"))
    await bus.flush()
    assert ran == ["second"]


async def test_dead_lettering_can_be_turned_off(make_bus: Callable[..., EventBusImpl]) -> None:
    bus = make_bus(enable_dead_letter=False, retry_failed_handlers=False)
    bus.subscribe(OrderPlaced, Flaky(failures=1))
    await bus.publish(OrderPlaced(order_id="o"))
    await bus.flush()
    assert await bus.dead_letter_store.get_count() == 0


async def test_a_broken_dead_letter_store_does_not_stop_delivery(caplog: pytest.LogCaptureFixture) -> None:
    class BrokenStore(InMemoryDeadLetterStore):
        async def add(self, entry: DeadLetterEntry) -> None:
            raise OSError("disk full")

    bus = EventBusImpl(config=EventBusConfig(retry_failed_handlers=False), dead_letter_store=BrokenStore())
    later: list[str] = []
    bus.subscribe(OrderPlaced, Flaky(failures=1))
    bus.subscribe(PaymentReceived, lambda e: later.append("paid"))
    with caplog.at_level(logging.ERROR, logger="lexigram.events.bus"):
        await bus.publish(OrderPlaced(order_id="o"))
        await bus.publish(PaymentReceived(amount=1))
        await bus.flush()
    await bus.close()
    assert later == ["paid"]
    assert any("could not record the dead letter" in r.getMessage() for r in caplog.records)


async def test_a_dead_letter_can_be_replayed_to_the_bus(make_bus: Callable[..., EventBusImpl]) -> None:
    bus = make_bus(retry_failed_handlers=False)
    flaky = Flaky(failures=1)
    bus.subscribe(OrderPlaced, flaky)
    original = OrderPlaced(order_id="o-1")
    await bus.publish(original)
    await bus.flush()
    store = bus.dead_letter_store
    [entry] = await store.list_entries(event_type="OrderPlaced")
    assert (await store.replay(entry.id, bus)).is_ok()
    await bus.flush()
    assert flaky.calls == 2
    assert (await store.get(entry.id)).replayed is True
    assert await store.get_count() == 1
    await store.delete(entry.id)
    assert await store.get_count() == 0
    with pytest.raises(DeadLetterNotFoundError, match=entry.id):
        await store.replay(entry.id, bus)


async def test_replaying_to_a_closed_bus_leaves_the_entry_unmarked() -> None:
    store = InMemoryDeadLetterStore()
    entry = DeadLetterEntry(
        event=OrderPlaced(order_id="o"), event_type="OrderPlaced", handler_name="h", error="e", attempts=1
    )
    await store.add(entry)
    bus = EventBusImpl()
    await bus.close()
    assert (await store.replay(entry.id, bus)).is_err()
    assert (await store.get(entry.id)).replayed is False


async def test_timeouts_apply_to_handlers_running_in_parallel(make_bus: Callable[..., EventBusImpl]) -> None:
    bus = make_bus(handler_timeout_seconds=0.02, retry_failed_handlers=False, parallel_dispatch=True)
    done: list[str] = []

    async def hangs(e: OrderPlaced) -> None:
        await asyncio.sleep(10)

    async def quick(e: OrderPlaced) -> None:
        await asyncio.sleep(0.001)
        done.append(e.order_id)

    bus.subscribe(OrderPlaced, hangs)
    bus.subscribe(OrderPlaced, quick)
    await bus.publish(OrderPlaced(order_id="a"))
    await bus.publish(OrderPlaced(order_id="b"))
    await bus.flush()
    assert done == ["a", "b"]
    entries = await bus.dead_letter_store.list_entries(handler_name="hangs")
    assert [e.event.order_id for e in entries] == ["a", "b"]
    assert all("timed out after 0.02s" in e.error for e in entries)


async def test_a_handler_that_swallows_its_cancellation_still_counts_as_a_success(
    make_bus: Callable[..., EventBusImpl],
) -> None:
    bus = make_bus(handler_timeout_seconds=0.01, retry_failed_handlers=False)
    later: list[str] = []

    async def stubborn(e: OrderPlaced) -> str:
        try:
            await asyncio.sleep(10)
        except asyncio.CancelledError:
            return "ignored the deadline"
        return "finished"

    bus.subscribe(OrderPlaced, stubborn)
    bus.subscribe(PaymentReceived, lambda e: later.append("paid"))
    await bus.publish(OrderPlaced(order_id="o"))
    await bus.flush()
    await bus.publish(PaymentReceived(amount=1))
    await bus.flush()
    assert later == ["paid"]
    assert await bus.dead_letter_store.get_count() == 0
