"""``OutboxStoreContract``: the conformance suite every event store with an outbox passes.

Subclass it and provide two fixtures: ``outbox_store`` gives each test a new, empty event store
opened with ``outbox=True``; ``same_database`` is a function that opens another such store on the
same database (as another process would; the in-memory store returns itself)::

    class TestMyOutbox(OutboxStoreContract):
        @pytest.fixture
        async def outbox_store(self):
            store = MyEventStore(..., outbox=True)
            yield store
            await store.close()

        @pytest.fixture
        def same_database(self, outbox_store):
            return lambda: MyEventStore(..., outbox=True)
"""

from __future__ import annotations

import asyncio
import random
from collections import defaultdict
from collections.abc import Callable
from typing import Any

import pytest

from lexigram.contracts.events.outbox import OutboxFailure
from lexigram.contracts.exceptions import ValidationError
from lexigram.contracts.messages import DomainEvent

__all__ = ["OutboxStoreContract", "OutboxContractEvent"]


class OutboxContractEvent(DomainEvent):
    """The event the outbox suite appends."""

    n: int


def _events(*numbers: int) -> list[OutboxContractEvent]:
    return [OutboxContractEvent(n=n) for n in numbers]


class OutboxStoreContract:
    """The outbox conformance suite; subclass it and provide ``outbox_store`` and ``same_database``."""

    pytestmark = pytest.mark.asyncio

    # --- recording ----------------------------------------------------------------------------

    async def test_every_appended_event_waits_in_the_outbox(self, outbox_store: Any) -> None:
        await outbox_store.append("order-1", _events(1, 2))
        await outbox_store.append("order-2", _events(3))
        assert await outbox_store.outbox.pending_count() == 3
        assert outbox_store.publishes_appended_events is True

    async def test_a_failed_append_records_nothing(self, outbox_store: Any) -> None:
        await outbox_store.append("order-1", _events(1), expected_version=0)
        with pytest.raises(Exception, match="order-1"):
            await outbox_store.append("order-1", _events(2), expected_version=0)
        assert await outbox_store.outbox.pending_count() == 1

    # --- claiming -----------------------------------------------------------------------------

    async def test_a_claim_returns_the_stored_events_in_order(self, outbox_store: Any) -> None:
        await outbox_store.append("order-1", _events(1, 2))
        await outbox_store.append("order-2", _events(3))
        messages = await outbox_store.outbox.claim("relay-a", 10, 30.0)
        assert [m.event.n for m in messages] == [1, 2, 3]
        assert all(isinstance(m.event, OutboxContractEvent) for m in messages)
        assert [(m.stream_id, m.version) for m in messages] == [
            ("order-1", 1),
            ("order-1", 2),
            ("order-2", 1),
        ]
        positions = [m.position for m in messages]
        assert positions == sorted(positions)
        assert [m.event.sequence_number for m in messages] == positions
        assert {m.attempts for m in messages} == {1}

    async def test_claims_of_two_relays_never_overlap(self, outbox_store: Any) -> None:
        await outbox_store.append("order-1", _events(1, 2))
        await outbox_store.append("order-2", _events(3))
        first = await outbox_store.outbox.claim("relay-a", 10, 30.0)
        assert len(first) == 3
        assert await outbox_store.outbox.claim("relay-b", 10, 30.0) == []

    async def test_the_limit_keeps_each_stream_a_prefix(self, outbox_store: Any) -> None:
        await outbox_store.append("order-1", _events(1, 2, 3))
        await outbox_store.append("order-2", _events(4))
        first = await outbox_store.outbox.claim("relay-a", 2, 30.0)
        assert [m.event.n for m in first] == [1, 2]
        # order-1 is being published by relay-a: its third event waits, order-2 is free
        second = await outbox_store.outbox.claim("relay-b", 10, 30.0)
        assert [m.event.n for m in second] == [4]

    async def test_an_expired_claim_can_be_taken_by_another_relay(self, outbox_store: Any) -> None:
        await outbox_store.append("order-1", _events(1))
        assert len(await outbox_store.outbox.claim("relay-a", 10, 0.2)) == 1
        await asyncio.sleep(0.4)
        again = await outbox_store.outbox.claim("relay-b", 10, 30.0)
        assert [(m.event.n, m.attempts) for m in again] == [(1, 2)]
        await outbox_store.outbox.complete("relay-a", [again[0].position])  # too late: ignored
        assert await outbox_store.outbox.pending_count() == 1

    # --- completing ---------------------------------------------------------------------------

    async def test_published_rows_leave_and_the_next_ones_become_due(self, outbox_store: Any) -> None:
        await outbox_store.append("order-1", _events(1, 2))
        first = await outbox_store.outbox.claim("relay-a", 1, 30.0)
        await outbox_store.outbox.complete("relay-a", [first[0].position])
        assert await outbox_store.outbox.pending_count() == 1
        second = await outbox_store.outbox.claim("relay-b", 10, 30.0)
        assert [m.event.n for m in second] == [2]

    async def test_a_failure_holds_back_its_stream_only_until_it_is_due(self, outbox_store: Any) -> None:
        await outbox_store.append("order-1", _events(1, 2))
        await outbox_store.append("order-2", _events(3))
        claimed = await outbox_store.outbox.claim("relay-a", 10, 30.0)
        failure = OutboxFailure(claimed[0].position, "broker down", 0.3)
        released = [claimed[1].position]
        await outbox_store.outbox.complete("relay-a", [claimed[2].position], [failure], released)
        assert await outbox_store.outbox.claim("relay-a", 10, 30.0) == []  # order-1 waits for its retry
        await asyncio.sleep(0.5)
        retried = await outbox_store.outbox.claim("relay-a", 10, 30.0)
        assert [(m.event.n, m.attempts) for m in retried] == [(1, 2), (2, 1)]

    async def test_a_parked_row_is_listed_retried_or_skipped(self, outbox_store: Any) -> None:
        await outbox_store.append("order-1", _events(1, 2))
        await outbox_store.append("order-2", _events(3))
        claimed = await outbox_store.outbox.claim("relay-a", 10, 30.0)
        park = OutboxFailure(claimed[0].position, "ValueError: poison", None)
        await outbox_store.outbox.complete("relay-a", [claimed[2].position], [park], [claimed[1].position])
        (entry,) = await outbox_store.outbox.list_parked()
        assert (entry.position, entry.stream_id, entry.event_type) == (
            claimed[0].position,
            "order-1",
            "OutboxContractEvent",
        )
        assert entry.last_error == "ValueError: poison"
        assert entry.attempts == 1
        assert entry.parked_at is not None
        assert await outbox_store.outbox.claim("relay-a", 10, 30.0) == []  # the stream waits behind it
        assert await outbox_store.outbox.retry_parked() == 1
        assert [m.event.n for m in await outbox_store.outbox.claim("relay-a", 10, 30.0)] == [1, 2]

    async def test_skipping_a_parked_row_frees_its_stream(self, outbox_store: Any) -> None:
        await outbox_store.append("order-1", _events(1, 2))
        claimed = await outbox_store.outbox.claim("relay-a", 10, 30.0)
        park = OutboxFailure(claimed[0].position, "poison", None)
        await outbox_store.outbox.complete("relay-a", [], [park], [claimed[1].position])
        assert await outbox_store.outbox.skip_parked([claimed[0].position]) == 1
        assert await outbox_store.outbox.list_parked() == []
        assert [m.event.n for m in await outbox_store.outbox.claim("relay-a", 10, 30.0)] == [2]
        assert len(await outbox_store.read("order-1")) == 2  # the event itself stays stored

    async def test_a_released_row_is_due_again_without_an_extra_attempt(self, outbox_store: Any) -> None:
        await outbox_store.append("order-1", _events(1))
        (claimed,) = await outbox_store.outbox.claim("relay-a", 10, 30.0)
        await outbox_store.outbox.complete("relay-a", [], [], [claimed.position])
        (again,) = await outbox_store.outbox.claim("relay-b", 10, 30.0)
        assert again.attempts == 1

    async def test_rows_of_compacted_events_never_block_the_outbox(self, outbox_store: Any) -> None:
        await outbox_store.append("order-1", _events(1))
        await outbox_store.append("order-2", _events(2))
        await outbox_store.compact("order-1", 1)
        claimed = await outbox_store.outbox.claim("relay-a", 10, 30.0)
        # a store that reads events back from its log drops the row; one that keeps them publishes it
        assert [m.event.n for m in claimed] in ([2], [1, 2])
        await outbox_store.outbox.complete("relay-a", [m.position for m in claimed])
        assert await outbox_store.outbox.pending_count() == 0

    # --- bad input ----------------------------------------------------------------------------

    @pytest.mark.parametrize(
        ("worker_id", "limit", "claim_ttl"),
        [
            ("", 10, 1.0),
            ("relay", 0, 1.0),
            ("relay", True, 1.0),
            ("relay", 10, 0),
            ("relay", 10, float("nan")),
        ],
    )
    async def test_bad_claims_are_refused(
        self, outbox_store: Any, worker_id: Any, limit: Any, claim_ttl: Any
    ) -> None:
        with pytest.raises(ValidationError):
            await outbox_store.outbox.claim(worker_id, limit, claim_ttl)

    async def test_bad_completions_are_refused(self, outbox_store: Any) -> None:
        with pytest.raises(ValidationError, match="position"):
            await outbox_store.outbox.complete("relay-a", [0])
        with pytest.raises(ValidationError, match="OutboxFailure"):
            await outbox_store.outbox.complete("relay-a", [], ["nope"])
        with pytest.raises(ValidationError, match="retry_in"):
            await outbox_store.outbox.complete("relay-a", [], [OutboxFailure(1, "x", -1.0)])
        with pytest.raises(ValidationError):
            await outbox_store.outbox.list_parked(0)
        with pytest.raises(ValidationError):
            await outbox_store.outbox.skip_parked("12")

    # --- concurrency --------------------------------------------------------------------------

    async def test_concurrent_relays_publish_every_event_once_in_stream_order(
        self, outbox_store: Any, same_database: Callable[[], Any]
    ) -> None:
        streams = [f"order-{i}" for i in range(8)]
        for round_number in range(5):
            for stream in streams:
                await outbox_store.append(stream, _events(*range(round_number * 3, round_number * 3 + 3)))
        relays = [outbox_store, *(same_database() for _ in range(3))]
        published: dict[str, list[int]] = defaultdict(list)
        in_flight: set[int] = set()
        rng = random.Random(7)

        async def relay(store: Any, name: str) -> None:
            idle = 0
            while idle < 3:
                claimed = await store.outbox.claim(name, rng.randint(1, 7), 30.0)
                if not claimed:
                    idle += 1
                    await asyncio.sleep(0.01)
                    continue
                idle = 0
                for message in claimed:
                    assert message.position not in in_flight, "two relays hold the same row"
                    in_flight.add(message.position)
                    published[message.stream_id].append(message.event.n)
                    await asyncio.sleep(0)
                for message in claimed:
                    in_flight.discard(message.position)
                await store.outbox.complete(name, [m.position for m in claimed])

        try:
            await asyncio.gather(*(relay(store, f"relay-{i}") for i, store in enumerate(relays)))
        finally:
            for store in relays[1:]:
                if store is not outbox_store:
                    await store.close()
        assert await outbox_store.outbox.pending_count() == 0
        assert dict(published.items()) == {stream: list(range(15)) for stream in streams}
