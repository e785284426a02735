"""What the inbox, the deduplicator and the bus refuse up front, with errors that say what to do."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import pytest

from lexigram.contracts.exceptions import ConfigurationError, ValidationError
from lexigram.events import CommandBus, DomainEvent
from lexigram.events.exceptions import InvalidIdempotencyKeyError
from lexigram.events.idempotency import Deduplicator, Inbox
from lexigram.events.stores.memory.idempotency_store import InMemoryIdempotencyStore


class ParcelShipped(DomainEvent):
    parcel_id: str


@pytest.mark.parametrize("consumer", ["", "billing:eu", None, 7])
def test_an_inbox_needs_a_plain_consumer_name(consumer: Any) -> None:
    with pytest.raises(InvalidIdempotencyKeyError, match="consumer name"):
        Inbox(InMemoryIdempotencyStore(), consumer)


async def test_an_inbox_needs_events_with_an_id() -> None:
    @dataclass
    class Ping:
        note: str

    inbox = Inbox(InMemoryIdempotencyStore(), "audit")
    with pytest.raises(InvalidIdempotencyKeyError, match="event_id"):
        await inbox.handle(Ping("x"), print)


async def test_the_transactional_form_needs_a_sql_store() -> None:
    inbox = Inbox(InMemoryIdempotencyStore(), "audit")
    with pytest.raises(ConfigurationError, match="SqliteIdempotencyStore or PostgresIdempotencyStore"):
        async with inbox.receive(ParcelShipped(parcel_id="p-1")):
            pass


async def test_a_failing_consumer_leaves_the_event_for_the_next_delivery() -> None:
    inbox = Inbox(InMemoryIdempotencyStore(), "shipping")
    event = ParcelShipped(parcel_id="p-1")
    calls: list[str] = []

    async def flaky(e: ParcelShipped) -> None:
        calls.append(e.parcel_id)
        if len(calls) == 1:
            raise TimeoutError("carrier API down")

    with pytest.raises(TimeoutError):
        await inbox.handle(event, flaky)
    assert await inbox.handle(event, flaky) is True
    assert await inbox.handle(event, flaky) is False
    assert calls == ["p-1", "p-1"]


@pytest.mark.parametrize("setting", [{"wait_timeout": 0}, {"lease_seconds": -1}, {"wait_timeout": "5"}])
def test_deduplicator_time_limits_must_be_positive_seconds(setting: dict[str, Any]) -> None:
    with pytest.raises(ValidationError, match="seconds"):
        Deduplicator(InMemoryIdempotencyStore(), **setting)


def test_a_deduplicator_needs_an_idempotency_store() -> None:
    with pytest.raises(TypeError, match="idempotency store"):
        Deduplicator(object())  # type: ignore[arg-type]


def test_the_bus_checks_its_wait_timeout() -> None:
    with pytest.raises(ValidationError, match="idempotency_wait_timeout"):
        CommandBus(idempotency_wait_timeout=-1)
