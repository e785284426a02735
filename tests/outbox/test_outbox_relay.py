"""``OutboxRelay``: what a relay does with the events an event store recorded in its outbox.

The stories run on the in-memory store and on a SQLite file: the relay only sees the
``OutboxStoreProtocol``, which both implement with the same rules.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import pytest

from lexigram.contracts.exceptions import ConfigurationError
from lexigram.contracts.messages import DomainEvent
from lexigram.events import EventBusImpl, InMemoryEventStore, SqliteConfig, SqliteEventStore
from lexigram.events.config import OutboxConfig
from lexigram.events.outbox import EventBusPublisher, OutboxMessage, OutboxRelay


class ParcelShipped(DomainEvent):
    parcel: str


class BrokerDown(Exception):
    """The broker of the flaky publisher refused a message."""


class FlakyPublisher:
    """A broker stand-in that refuses chosen parcels a number of times, then accepts them."""

    def __init__(self, refusals: dict[str, int] | None = None, flush_failures: int = 0) -> None:
        self.refusals = dict(refusals or {})
        self.flush_failures = flush_failures
        self.accepted: list[tuple[str, str]] = []
        self.confirmed: list[tuple[str, str]] = []

    async def publish(self, message: OutboxMessage) -> None:
        parcel = message.event.parcel
        if self.refusals.get(parcel, 0) > 0:
            self.refusals[parcel] -= 1
            raise BrokerDown(f"cannot take {parcel}")
        self.accepted.append((message.stream_id, parcel))

    async def flush(self) -> None:
        if self.flush_failures > 0:
            self.flush_failures -= 1
            raise BrokerDown("no acknowledgement")
        self.confirmed = list(self.accepted)


@pytest.fixture(params=["memory", "sqlite"])
async def store(request: pytest.FixtureRequest, tmp_path: Path) -> AsyncIterator[Any]:
    if request.param == "memory":
        yield InMemoryEventStore(outbox=True)
        return
    sqlite = SqliteEventStore(SqliteConfig(database=str(tmp_path / "events.db")), outbox=True)
    yield sqlite
    await sqlite.close()


def quick(**settings: Any) -> OutboxConfig:
    settings.setdefault("retry_backoff", 0.01)
    settings.setdefault("max_backoff", 0.05)
    return OutboxConfig(**settings)


async def wait_until(condition: Any, seconds: float = 5.0) -> None:
    for _ in range(int(seconds / 0.01)):
        if condition():
            return
        await asyncio.sleep(0.01)
    raise AssertionError("the condition never held")


async def ship(store: Any, stream: str, *parcels: str) -> None:
    await store.append(stream, [ParcelShipped(parcel=p) for p in parcels])


async def test_appended_events_reach_the_bus_handlers_in_stream_order(store: Any) -> None:
    bus = EventBusImpl()
    seen: list[str] = []
    bus.subscribe(ParcelShipped, lambda event: seen.append(event.parcel))
    relay = OutboxRelay(store.outbox, EventBusPublisher(bus), poll_interval=30.0, appends=store.appends)
    await relay.start()
    await ship(store, "route-1", "a", "b")
    await ship(store, "route-2", "c")
    await wait_until(lambda: len(seen) == 3)  # woken by the appends, not by the 30 s poll
    await relay.stop()
    await bus.close()
    assert seen == ["a", "b", "c"]
    assert await store.outbox.pending_count() == 0
    assert relay.health()["published"] == 3


async def test_a_refused_event_is_retried_and_holds_back_only_its_stream(store: Any) -> None:
    publisher = FlakyPublisher(refusals={"a": 2})
    await ship(store, "route-1", "a", "b")
    await ship(store, "route-2", "c")
    relay = OutboxRelay(store.outbox, publisher, config=quick(), poll_interval=0.02)
    await relay.start()
    await wait_until(lambda: len(publisher.accepted) == 3)
    await relay.stop()
    assert publisher.accepted[0] == ("route-2", "c")  # the other stream did not wait
    assert publisher.accepted[1:] == [("route-1", "a"), ("route-1", "b")]
    health = relay.health()
    assert health["failed"] == 2
    assert health["parked"] == 0
    assert "BrokerDown: cannot take a" in health["last_error"]


async def test_a_poison_event_is_parked_until_an_operator_retries_it(store: Any) -> None:
    publisher = FlakyPublisher(refusals={"poison": 3})
    await ship(store, "route-1", "poison", "after")
    await ship(store, "route-2", "fine")
    relay = OutboxRelay(store.outbox, publisher, config=quick(max_attempts=3), poll_interval=0.02)
    await relay.start()
    await wait_until(lambda: relay.health()["parked"] == 1)
    await asyncio.sleep(0.1)
    assert publisher.accepted == [("route-2", "fine")]  # "after" waits behind the parked event
    (parked,) = await store.outbox.list_parked()
    assert (parked.stream_id, parked.attempts) == ("route-1", 3)
    assert "cannot take poison" in (parked.last_error or "")
    assert await store.outbox.retry_parked([parked.position]) == 1
    await wait_until(lambda: len(publisher.accepted) == 3)
    await relay.stop()
    assert publisher.accepted[1:] == [("route-1", "poison"), ("route-1", "after")]


async def test_unconfirmed_events_are_published_again(store: Any) -> None:
    publisher = FlakyPublisher(flush_failures=1)
    await ship(store, "route-1", "a")
    relay = OutboxRelay(store.outbox, publisher, config=quick())
    first = await relay.run_once()
    assert (first.published, first.released) == (0, 1)
    second = await relay.run_once()
    assert second.published == 1
    assert publisher.accepted == [("route-1", "a"), ("route-1", "a")]  # at least once
    assert publisher.confirmed == publisher.accepted


async def test_stopping_runs_a_last_pass(store: Any) -> None:
    publisher = FlakyPublisher()
    relay = OutboxRelay(store.outbox, publisher, poll_interval=30.0)  # no append signal: polls only
    await relay.start()
    await asyncio.sleep(0.05)
    await ship(store, "route-1", "late")
    await relay.stop()
    assert publisher.accepted == [("route-1", "late")]
    assert relay.running is False
    await relay.stop()  # idempotent


async def test_a_full_batch_is_followed_by_the_next_one_at_once(store: Any) -> None:
    publisher = FlakyPublisher()
    for number in range(25):
        await ship(store, f"route-{number}", f"p{number}")
    relay = OutboxRelay(store.outbox, publisher, config=quick(batch_size=10), poll_interval=30.0)
    await relay.start()
    await wait_until(lambda: len(publisher.accepted) == 25)
    await relay.stop()
    assert relay.health()["passes"] >= 3


async def test_an_event_bus_that_refuses_events_counts_as_a_failure() -> None:
    store = InMemoryEventStore(outbox=True)
    bus = EventBusImpl()
    await bus.close()  # a closed bus refuses what is published
    await ship(store, "route-1", "a")
    relay = OutboxRelay(store.outbox, EventBusPublisher(bus), config=quick())
    result = await relay.run_once()
    assert (result.failed, result.published) == (1, 0)
    assert "refused ParcelShipped" in relay.health()["last_error"]


@pytest.mark.parametrize(
    ("arguments", "message"),
    [
        ({"config": {"batch_size": 10}}, "OutboxConfig"),
        ({"poll_interval": 0}, "poll_interval"),
        ({"poll_interval": True}, "poll_interval"),
    ],
)
def test_bad_relay_settings_are_refused(arguments: dict[str, Any], message: str) -> None:
    with pytest.raises(ConfigurationError, match=message):
        OutboxRelay(InMemoryEventStore(outbox=True).outbox, FlakyPublisher(), **arguments)


def test_bad_outbox_config_is_refused() -> None:
    with pytest.raises(ConfigurationError, match="batch_size"):
        OutboxConfig(batch_size=0)
