"""``DeadLetterStoreContract``: the conformance suite every dead-letter store passes.

Subclass it and provide a ``dead_letter_store`` fixture that gives each test a new, empty store::

    class TestMyDeadLetterStore(DeadLetterStoreContract):
        @pytest.fixture
        async def dead_letter_store(self):
            store = MyDeadLetterStore(...)
            yield store
            await store.close()

Replays go through a real ``EventBus``; the suite's events are ``DomainEvent`` subclasses, which
every store (durable ones serialize them) must give back as their original class.
"""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime, timedelta, timezone
from decimal import Decimal
from typing import Any

import pytest

from lexigram.contracts.events.dead_letters import DeadLetterEntry
from lexigram.contracts.exceptions import ValidationError
from lexigram.contracts.messages import DomainEvent
from lexigram.events.buses.event import EventBus
from lexigram.events.exceptions import DeadLetterNotFoundError

__all__ = ["DeadLetterStoreContract"]


class ContractParcelLost(DomainEvent):
    """An event the suite's failing handlers never managed to handle."""

    parcel_id: str
    value: Decimal
    tags: tuple[str, ...] = ()


class ContractRefundDenied(DomainEvent):
    """A second event type, for the filters."""

    order_id: str


def _entry(event: Any = None, **fields: Any) -> DeadLetterEntry:
    if event is None:
        event = ContractParcelLost(parcel_id="p-1", value=Decimal("9.90"), tags=("x",))
    values: dict[str, Any] = {
        "event_type": type(event).__name__,
        "handler_name": "app.shipping.Notifier.handle",
        "error": "ConnectionError: smtp down",
        "attempts": 4,
    }
    values.update(fields)
    return DeadLetterEntry(event=event, **values)


class DeadLetterStoreContract:
    """The dead-letter-store conformance suite; subclass it and provide a ``dead_letter_store`` fixture."""

    pytestmark = pytest.mark.asyncio

    async def test_an_entry_comes_back_with_its_original_event(self, dead_letter_store: Any) -> None:
        summer = timezone(timedelta(hours=2))
        entry = _entry(created_at=datetime(2024, 7, 1, 12, 30, 45, 123_456, tzinfo=summer))
        await dead_letter_store.add(entry)
        loaded = await dead_letter_store.get(entry.id)
        assert type(loaded.event) is ContractParcelLost
        assert loaded.event == entry.event
        assert loaded.event.event_id == entry.event.event_id
        assert (loaded.id, loaded.event_type, loaded.handler_name) == (
            entry.id,
            "ContractParcelLost",
            "app.shipping.Notifier.handle",
        )
        assert (loaded.error, loaded.attempts, loaded.replayed) == ("ConnectionError: smtp down", 4, False)
        assert loaded.created_at == datetime(2024, 7, 1, 10, 30, 45, 123_456, tzinfo=UTC)

    async def test_an_unknown_id_is_reported_by_every_method(self, dead_letter_store: Any) -> None:
        bus = EventBus()
        for call in (
            dead_letter_store.get("missing"),
            dead_letter_store.mark_replayed("missing"),
            dead_letter_store.delete("missing"),
            dead_letter_store.replay("missing", bus),
        ):
            with pytest.raises(DeadLetterNotFoundError, match="missing"):
                await call
        await bus.close()

    async def test_entries_are_listed_oldest_first_with_filters_and_a_limit(
        self, dead_letter_store: Any
    ) -> None:
        start = datetime(2024, 1, 1, tzinfo=UTC)
        lost = [_entry(created_at=start + timedelta(minutes=n)) for n in (3, 1, 2)]
        denied = _entry(
            ContractRefundDenied(order_id="o-1"), handler_name="app.billing.refund", created_at=start
        )
        for entry in [*lost, denied]:
            await dead_letter_store.add(entry)
        oldest_first = [denied.id, lost[1].id, lost[2].id, lost[0].id]
        assert [e.id for e in await dead_letter_store.list_entries()] == oldest_first
        assert [e.id for e in await dead_letter_store.list_entries(limit=2)] == oldest_first[:2]
        assert await dead_letter_store.list_entries(limit=0) == []
        by_type = await dead_letter_store.list_entries(event_type="ContractParcelLost")
        assert [e.id for e in by_type] == oldest_first[1:]
        assert [e.id for e in await dead_letter_store.list_entries(handler_name="refund")] == [denied.id]
        for name in ("app.shipping.Notifier.handle", "Notifier.handle", "handle"):
            assert len(await dead_letter_store.list_entries(handler_name=name)) == 3
        assert await dead_letter_store.list_entries(handler_name="otifier.handle") == []
        assert (
            await dead_letter_store.list_entries(event_type="ContractRefundDenied", handler_name="handle")
            == []
        )

    async def test_entries_added_at_the_same_moment_keep_their_order(self, dead_letter_store: Any) -> None:
        moment = datetime(2024, 1, 1, tzinfo=UTC)
        entries = [_entry(created_at=moment, error=f"failure {n}") for n in range(5)]
        for entry in entries:
            await dead_letter_store.add(entry)
        assert [e.error for e in await dead_letter_store.list_entries()] == [f"failure {n}" for n in range(5)]

    async def test_counts_follow_adds_and_deletes(self, dead_letter_store: Any) -> None:
        assert await dead_letter_store.get_count() == 0
        lost, denied = _entry(), _entry(ContractRefundDenied(order_id="o-1"))
        await dead_letter_store.add(lost)
        await dead_letter_store.add(denied)
        assert await dead_letter_store.get_count() == 2
        assert await dead_letter_store.get_count(event_type="ContractRefundDenied") == 1
        assert await dead_letter_store.get_count(event_type="Nothing") == 0
        await dead_letter_store.delete(lost.id)
        assert await dead_letter_store.get_count() == 1
        with pytest.raises(DeadLetterNotFoundError):
            await dead_letter_store.get(lost.id)

    async def test_replay_publishes_the_original_event_and_marks_the_entry(
        self, dead_letter_store: Any
    ) -> None:
        received: list[Any] = []
        bus = EventBus()
        bus.subscribe(ContractParcelLost, received.append)
        entry = _entry()
        await dead_letter_store.add(entry)
        result = await dead_letter_store.replay(entry.id, bus)
        await bus.flush(timeout=5)
        assert result.is_ok()
        assert received == [entry.event]
        assert type(received[0]) is ContractParcelLost
        assert (await dead_letter_store.get(entry.id)).replayed is True
        await bus.close()

    async def test_a_refused_replay_leaves_the_entry_unmarked(self, dead_letter_store: Any) -> None:
        bus = EventBus()
        await bus.close()  # a closed bus refuses events with an Err
        entry = _entry()
        await dead_letter_store.add(entry)
        result = await dead_letter_store.replay(entry.id, bus)
        assert result.is_err()
        assert (await dead_letter_store.get(entry.id)).replayed is False
        await dead_letter_store.mark_replayed(entry.id)
        assert (await dead_letter_store.get(entry.id)).replayed is True

    async def test_concurrent_adds_are_all_kept(self, dead_letter_store: Any) -> None:
        entries = [_entry(error=f"failure {n}") for n in range(20)]
        await asyncio.gather(*(dead_letter_store.add(entry) for entry in entries))
        assert await dead_letter_store.get_count() == 20
        assert {e.id for e in await dead_letter_store.list_entries()} == {e.id for e in entries}

    @pytest.mark.parametrize("limit", [-1, "10", None, True])
    async def test_a_bad_limit_or_filter_is_refused(self, dead_letter_store: Any, limit: Any) -> None:
        with pytest.raises(ValidationError, match="limit"):
            await dead_letter_store.list_entries(limit=limit)
        with pytest.raises(ValidationError, match="event_type"):
            await dead_letter_store.list_entries(event_type=42)

    async def test_something_else_than_an_entry_is_refused(self, dead_letter_store: Any) -> None:
        with pytest.raises(ValidationError, match="DeadLetterEntry"):
            await dead_letter_store.add({"event": "x"})
        with pytest.raises(ValidationError, match="attempts"):
            await dead_letter_store.add(_entry(attempts=-1))
        assert await dead_letter_store.get_count() == 0
