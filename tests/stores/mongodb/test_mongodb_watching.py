"""watch_events follows new events in order, by change stream or, without one, by polling."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncGenerator
from typing import Any

import pytest

from lexigram.contracts.documents import DocumentWatchProtocol
from lexigram.contracts.messages import DomainEvent
from lexigram.events.stores.mongodb import MongoDBConfig, MongoDBEventStore

SAFETY_TIMEOUT = 30  # only stops a broken test from hanging; no test asserts on time


class TicketSold(DomainEvent):
    ticket_id: str


class TicketRefunded(DomainEvent):
    ticket_id: str


class WithoutChangeStreams:
    """A document store that cannot watch: every operation but ``watch`` is delegated."""

    def __init__(self, inner: Any) -> None:
        self._inner = inner

    def __getattr__(self, name: str) -> Any:
        if name == "watch":
            raise AttributeError(name)
        return getattr(self._inner, name)


async def take(events: AsyncGenerator[Any, None], count: int) -> list[Any]:
    taken: list[Any] = []
    async with asyncio.timeout(SAFETY_TIMEOUT):
        async for event in events:
            taken.append(event)
            if len(taken) == count:
                break
    await events.aclose()  # closes the change stream
    return taken


async def sell(store: MongoDBEventStore, *tickets: str) -> None:
    for ticket in tickets:
        await store.append(ticket, [TicketSold(ticket_id=ticket)])


@pytest.fixture(params=["change stream", "polling"])
def watched_store(
    request: pytest.FixtureRequest, mongo_event_store: MongoDBEventStore, mongo_config: MongoDBConfig
) -> MongoDBEventStore:
    """The store, read through a change stream or through a document store that can only poll."""
    if request.param == "change stream":
        return mongo_event_store
    documents: Any = WithoutChangeStreams(mongo_event_store.document_store)
    assert not isinstance(documents, DocumentWatchProtocol)
    return MongoDBEventStore(documents, mongo_config)


async def test_a_watch_from_a_position_catches_up_then_follows(watched_store: MongoDBEventStore) -> None:
    await sell(watched_store, "t-1", "t-2")
    watch = watched_store.watch_events(from_position=1, poll_interval=0.01)
    taking = asyncio.create_task(take(watch, 3))
    await sell(watched_store, "t-3", "t-4")

    events = await taking

    assert [e.ticket_id for e in events] == ["t-2", "t-3", "t-4"]
    assert [e.sequence_number for e in events] == [2, 3, 4]


@pytest.mark.parametrize("mode", ["change stream", "polling"])
async def test_a_watch_yields_what_is_stored_after_it_started(
    mode: str, mongo_event_store: MongoDBEventStore, mongo_config: MongoDBConfig
) -> None:
    store = mongo_event_store
    if mode == "polling":
        polling: Any = WithoutChangeStreams(mongo_event_store.document_store)
        store = MongoDBEventStore(polling, mongo_config)
    await sell(store, "before-1", "before-2")
    watch = store.watch_events(poll_interval=0.01)
    first = asyncio.create_task(take(watch, 3))
    sold: list[str] = []
    async with asyncio.timeout(SAFETY_TIMEOUT):
        while not first.done():  # keep selling until the watch has seen three new tickets
            ticket = f"after-{len(sold)}"
            await sell(store, ticket)
            sold.append(ticket)
            await asyncio.sleep(0.02)
    seen = [e.ticket_id for e in first.result()]

    assert not any(ticket.startswith("before") for ticket in seen)
    start = sold.index(seen[0])
    assert seen == sold[start : start + 3]


async def test_a_watch_keeps_only_the_types_asked_for(watched_store: MongoDBEventStore) -> None:
    await watched_store.append("t-1", [TicketSold(ticket_id="t-1"), TicketRefunded(ticket_id="t-1")])
    watch = watched_store.watch_events([TicketRefunded], from_position=0, poll_interval=0.01)
    taking = asyncio.create_task(take(watch, 2))
    await watched_store.append("t-2", [TicketSold(ticket_id="t-2"), TicketRefunded(ticket_id="t-2")])

    refunds = await taking

    assert [(type(e), e.ticket_id) for e in refunds] == [(TicketRefunded, "t-1"), (TicketRefunded, "t-2")]


async def test_bad_watch_arguments_are_rejected(mongo_event_store: MongoDBEventStore) -> None:
    with pytest.raises(ValueError, match="poll_interval"):
        mongo_event_store.watch_events(poll_interval=0)
    with pytest.raises(ValueError, match="from_position"):
        mongo_event_store.watch_events(from_position=-1)
    assert await take(mongo_event_store.watch_events([]), 1) == []
