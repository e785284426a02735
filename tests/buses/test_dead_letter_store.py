"""The in-memory dead-letter store on its own."""

from __future__ import annotations

import pytest

from lexigram.contracts.events import DeadLetterStoreProtocol
from lexigram.events import DeadLetterEntry, DeadLetterNotFoundError, InMemoryDeadLetterStore

from .messages import OrderPlaced, PaymentReceived


def entry(event: object, handler_name: str = "app.mail.send_receipt") -> DeadLetterEntry:
    return DeadLetterEntry(
        event=event,
        event_type=type(event).__name__,
        handler_name=handler_name,
        error="ConnectionError: down",
        attempts=4,
    )


async def test_it_follows_the_dead_letter_store_protocol() -> None:
    store: DeadLetterStoreProtocol = InMemoryDeadLetterStore()
    await store.add(entry(OrderPlaced(order_id="o")))
    assert await store.get_count() == 1


async def test_listing_filters_by_event_type_and_handler_name_oldest_first() -> None:
    store = InMemoryDeadLetterStore()
    first = entry(OrderPlaced(order_id="1"))
    second = entry(PaymentReceived(amount=1), "app.billing.Ledger.handle")
    third = entry(OrderPlaced(order_id="3"), "app.billing.Ledger.handle")
    for item in (first, second, third):
        await store.add(item)
    assert await store.list_entries() == [first, second, third]
    assert await store.list_entries(event_type="OrderPlaced") == [first, third]
    assert await store.list_entries(handler_name="Ledger.handle") == [second, third]
    assert await store.list_entries(handler_name="app.mail.send_receipt") == [first]
    assert await store.list_entries(handler_name="receipt") == []
    assert await store.list_entries(limit=2) == [first, second]
    assert await store.get_count("OrderPlaced") == 2
    assert await store.get_count("Nothing") == 0
    with pytest.raises(ValueError, match="limit"):
        await store.list_entries(limit=-1)


async def test_unknown_ids_raise_a_named_error() -> None:
    store = InMemoryDeadLetterStore()
    for operation in (store.get, store.mark_replayed, store.delete):
        with pytest.raises(DeadLetterNotFoundError, match="nope"):
            await operation("nope")


async def test_marking_replayed_keeps_the_rest_of_the_entry() -> None:
    store = InMemoryDeadLetterStore()
    item = entry(OrderPlaced(order_id="o"))
    await store.add(item)
    await store.mark_replayed(item.id)
    updated = await store.get(item.id)
    assert updated.replayed is True
    assert (updated.event, updated.error, updated.attempts) == (item.event, item.error, item.attempts)


async def test_the_store_is_bounded_and_drops_the_oldest() -> None:
    store = InMemoryDeadLetterStore(max_entries=2)
    items = [entry(OrderPlaced(order_id=str(i))) for i in range(3)]
    for item in items:
        await store.add(item)
    assert await store.list_entries() == items[1:]
    with pytest.raises(ValueError, match="max_entries"):
        InMemoryDeadLetterStore(max_entries=0)
