"""``IdempotencyStoreContract``: the conformance suite every idempotency store passes.

Subclass it and provide an ``idempotency_store`` fixture that gives each test a new, empty store::

    class TestMyIdempotencyStore(IdempotencyStoreContract):
        parameter_style = "numeric"   # the inbox session's placeholders: "qmark" (?) or "numeric" ($1)

        @pytest.fixture
        async def idempotency_store(self):
            store = MyIdempotencyStore(...)
            yield store
            await store.close()

Override ``peer_store`` to give a second store on the same data (another connection, as another
process would have): the concurrency tests then race the two. A store with ``transaction()`` is
also checked for the transactional inbox; the suite creates a table of its own through the
session (and drops it at the end), so the session must allow ``CREATE TABLE`` and ``DROP TABLE``.
"""

from __future__ import annotations

import asyncio
import itertools
import uuid
from dataclasses import dataclass
from typing import Any, ClassVar

import pytest

from lexigram.contracts.core.result import Err
from lexigram.contracts.events.idempotency import ClaimStatus, RecordStatus
from lexigram.contracts.exceptions import ValidationError
from lexigram.contracts.messages import DomainEvent
from lexigram.events.exceptions import IdempotencyConflictError, IdempotencyInProgressError
from lexigram.events.idempotency import Deduplicator, Inbox

__all__ = ["TransactionalIdempotencyStoreContract", "IdempotencyStoreContract"]

LEASE = 30.0
SHORT = 0.25
"""Seconds of the short leases and TTLs the expiry tests wait out."""


class ContractInvoiceRequested(DomainEvent):
    """The event the inbox tests deliver."""

    order_id: str


@dataclass(frozen=True)
class ContractReceipt:
    """A dataclass result the deduplication tests record."""

    order_id: str
    amount: int
    tags: tuple[str, ...] = ()


class _Failure(Exception):
    """Raised by the tests' work, to check that a failure frees the key."""


def _key() -> str:
    return f"contract:{uuid.uuid4().hex}"


def _token() -> str:
    return uuid.uuid4().hex


class IdempotencyStoreContract:
    """The idempotency-store conformance suite; subclass it and provide an ``idempotency_store`` fixture."""

    pytestmark = pytest.mark.asyncio

    parameter_style: ClassVar[str] = "qmark"
    """The inbox session's placeholders: ``"qmark"`` (``?``, SQLite) or ``"numeric"`` (``$1``)."""

    @pytest.fixture
    def peer_store(self, idempotency_store: Any) -> Any:
        """A second store on the same data; by default the same store."""
        return idempotency_store

    def sql(self, statement: str) -> str:
        """``statement`` written with ``?`` placeholders, in the session's own style."""
        if self.parameter_style == "qmark":
            return statement
        numbers = itertools.count(1)
        return "".join(f"${next(numbers)}" if part == "?" else part for part in statement)

    # --- claims ----------------------------------------------------------------------------------

    async def test_an_unknown_key_has_no_record(self, idempotency_store: Any) -> None:
        key = _key()
        assert await idempotency_store.get(key) is None
        assert await idempotency_store.release(key, _token()) is False
        assert await idempotency_store.complete(key, _token(), "1", 60) is False
        assert await idempotency_store.get(key) is None

    async def test_the_first_claim_wins_and_later_ones_see_it_pending(
        self, idempotency_store: Any, peer_store: Any
    ) -> None:
        key, first, second = _key(), _token(), _token()
        claimed = await idempotency_store.claim(key, "fp-1", first, LEASE)
        assert claimed.status is ClaimStatus.CLAIMED
        assert (claimed.record.key, claimed.record.fingerprint, claimed.record.token) == (key, "fp-1", first)
        assert claimed.record.status is RecordStatus.PENDING
        assert claimed.record.result is None
        assert claimed.record.expires_at is not None
        assert claimed.record.expires_at > claimed.record.created_at

        again = await peer_store.claim(key, "fp-other", second, LEASE)
        assert again.status is ClaimStatus.PENDING
        assert (again.record.token, again.record.fingerprint) == (first, "fp-1")  # nothing replaced
        stored = await peer_store.get(key)
        assert stored is not None
        assert (stored.status, stored.token) == (RecordStatus.PENDING, first)

    async def test_a_completed_claim_returns_its_result_to_every_later_claim(
        self, idempotency_store: Any, peer_store: Any
    ) -> None:
        key, token = _key(), _token()
        await idempotency_store.claim(key, "fp", token, LEASE)
        result = '{"receipt":"r-1","amount":42}'
        assert await idempotency_store.complete(key, token, result, 3600) is True
        for store in (idempotency_store, peer_store):
            outcome = await store.claim(key, "fp", _token(), LEASE)
            assert outcome.status is ClaimStatus.COMPLETED
            assert outcome.record.result == result
            assert outcome.record.token == token
        record = await peer_store.get(key)
        assert record is not None
        assert (record.status, record.result) == (RecordStatus.COMPLETED, result)
        assert await idempotency_store.release(key, token) is False  # a result is never released
        assert await idempotency_store.complete(key, token, "2", 60) is False  # nor recorded twice

    async def test_only_the_holder_completes_or_releases_a_claim(self, idempotency_store: Any) -> None:
        key, holder = _key(), _token()
        await idempotency_store.claim(key, "fp", holder, LEASE)
        assert await idempotency_store.complete(key, _token(), "1", 60) is False
        assert await idempotency_store.release(key, _token()) is False
        assert (await idempotency_store.get(key)).status is RecordStatus.PENDING
        assert await idempotency_store.release(key, holder) is True
        assert await idempotency_store.get(key) is None
        retry = await idempotency_store.claim(key, "fp", _token(), LEASE)
        assert retry.status is ClaimStatus.CLAIMED

    async def test_a_large_unicode_result_comes_back_intact(self, idempotency_store: Any) -> None:
        key, token = _key(), _token()
        await idempotency_store.claim(key, "fp", token, LEASE)
        result = '"' + "äöü€😀" * 20_000 + '"'
        assert await idempotency_store.complete(key, token, result, None) is True
        assert (await idempotency_store.get(key)).result == result

    # --- expiry ----------------------------------------------------------------------------------

    async def test_a_claim_nobody_completes_frees_the_key_when_its_lease_ends(
        self, idempotency_store: Any, peer_store: Any
    ) -> None:
        key, crashed, next_caller = _key(), _token(), _token()
        await idempotency_store.claim(key, "fp", crashed, SHORT)
        await asyncio.sleep(SHORT + 0.1)
        assert await peer_store.get(key) is None
        taken = await peer_store.claim(key, "fp", next_caller, LEASE)
        assert (taken.status, taken.record.token) == (ClaimStatus.CLAIMED, next_caller)
        assert await idempotency_store.complete(key, crashed, "1", 60) is False  # the old holder lost it
        assert await peer_store.complete(key, next_caller, "2", 60) is True
        assert (await idempotency_store.get(key)).result == "2"

    async def test_a_result_expires_after_its_ttl_and_the_key_is_free_again(
        self, idempotency_store: Any
    ) -> None:
        key, token = _key(), _token()
        await idempotency_store.claim(key, "fp", token, LEASE)
        await idempotency_store.complete(key, token, "1", SHORT)
        assert (await idempotency_store.get(key)).result == "1"
        await asyncio.sleep(SHORT + 0.1)
        assert await idempotency_store.get(key) is None
        fresh = await idempotency_store.claim(key, "another payload", _token(), LEASE)
        assert fresh.status is ClaimStatus.CLAIMED
        assert fresh.record.fingerprint == "another payload"

    async def test_purge_deletes_only_expired_records(self, idempotency_store: Any) -> None:
        await idempotency_store.purge_expired()  # a shared database may hold other tests' leftovers
        short, forever, pending = _key(), _key(), _key()
        for key, ttl in ((short, SHORT), (forever, None)):
            token = _token()
            await idempotency_store.claim(key, "fp", token, LEASE)
            await idempotency_store.complete(key, token, "1", ttl)
        await idempotency_store.claim(pending, "fp", _token(), SHORT)
        await asyncio.sleep(SHORT + 0.1)
        assert await idempotency_store.purge_expired() == 2
        assert await idempotency_store.purge_expired() == 0
        assert await idempotency_store.get(forever) is not None
        assert (await idempotency_store.get(forever)).expires_at is None

    # --- bad input -------------------------------------------------------------------------------

    @pytest.mark.parametrize("key", ["", None, 42, b"key", "k" * 600])
    async def test_a_bad_key_is_refused(self, idempotency_store: Any, key: Any) -> None:
        with pytest.raises(ValidationError, match="key"):
            await idempotency_store.claim(key, "fp", _token(), LEASE)
        with pytest.raises(ValidationError):
            await idempotency_store.get(key)

    @pytest.mark.parametrize("seconds", [0, -1, float("nan"), float("inf"), True, "10"])
    async def test_a_bad_lease_or_ttl_is_refused(self, idempotency_store: Any, seconds: Any) -> None:
        key, token = _key(), _token()
        with pytest.raises(ValidationError, match="seconds"):
            await idempotency_store.claim(key, "fp", token, seconds)
        await idempotency_store.claim(key, "fp", token, LEASE)
        with pytest.raises(ValidationError, match="seconds"):
            await idempotency_store.complete(key, token, "1", seconds)
        assert (await idempotency_store.get(key)).status is RecordStatus.PENDING

    async def test_a_result_that_is_not_text_is_refused(self, idempotency_store: Any) -> None:
        key, token = _key(), _token()
        await idempotency_store.claim(key, "fp", token, LEASE)
        with pytest.raises(ValidationError, match="JSON text"):
            await idempotency_store.complete(key, token, {"not": "text"}, 60)

    # --- deduplication on this store -------------------------------------------------------------

    async def test_concurrent_callers_run_the_work_once_and_all_get_its_result(
        self, idempotency_store: Any, peer_store: Any
    ) -> None:
        key, runs = _key(), 0
        gate = asyncio.Event()

        async def work() -> ContractReceipt:
            nonlocal runs
            runs += 1
            await gate.wait()
            return ContractReceipt("o-1", 42, ("vip",))

        deduplicators = [Deduplicator(store, wait_timeout=10) for store in (idempotency_store, peer_store)]
        callers = [
            asyncio.create_task(deduplicators[n % 2].run(key, "fp", work, ttl=60, describe="Pay"))
            for n in range(12)
        ]
        await asyncio.sleep(0.1)
        gate.set()
        results = await asyncio.gather(*callers)
        assert runs == 1
        assert results == [ContractReceipt("o-1", 42, ("vip",))] * 12
        later = await deduplicators[1].run(key, "fp", work, ttl=60)
        assert later == ContractReceipt("o-1", 42, ("vip",))
        assert runs == 1

    async def test_a_failed_run_frees_the_key_for_a_retry(self, idempotency_store: Any) -> None:
        key, attempts = _key(), 0
        deduplicator = Deduplicator(idempotency_store)

        async def flaky() -> str:
            nonlocal attempts
            attempts += 1
            if attempts == 1:
                raise _Failure("card declined")
            return "charged"

        with pytest.raises(_Failure):
            await deduplicator.run(key, "fp", flaky, ttl=60)
        assert await idempotency_store.get(key) is None
        assert await deduplicator.run(key, "fp", flaky, ttl=60) == "charged"
        assert await deduplicator.run(key, "fp", flaky, ttl=60) == "charged"
        assert attempts == 2

    async def test_an_err_result_is_returned_but_not_recorded(self, idempotency_store: Any) -> None:
        key, runs = _key(), 0
        deduplicator = Deduplicator(idempotency_store)

        async def refuse() -> Err[str]:
            nonlocal runs
            runs += 1
            return Err("out of stock")

        assert await deduplicator.run(key, "fp", refuse, ttl=60) == Err("out of stock")
        assert await deduplicator.run(key, "fp", refuse, ttl=60) == Err("out of stock")
        assert runs == 2
        assert await idempotency_store.get(key) is None

    async def test_the_same_key_with_another_payload_is_a_conflict(self, idempotency_store: Any) -> None:
        key = _key()
        deduplicator = Deduplicator(idempotency_store)

        async def work() -> int:
            return 1

        await deduplicator.run(key, "fp-amount-10", work, ttl=60, describe="Pay")
        with pytest.raises(IdempotencyConflictError, match="Pay") as caught:
            await deduplicator.run(key, "fp-amount-99", work, ttl=60, describe="Pay")
        assert caught.value.key == key

    async def test_a_caller_stops_waiting_for_a_slow_first_run_with_a_clear_error(
        self, idempotency_store: Any, peer_store: Any
    ) -> None:
        key = _key()
        release = asyncio.Event()

        async def slow() -> str:
            await release.wait()
            return "done"

        first = asyncio.create_task(Deduplicator(idempotency_store).run(key, "fp", slow, ttl=60))
        await asyncio.sleep(0.05)
        impatient = Deduplicator(peer_store, wait_timeout=0.2)
        with pytest.raises(IdempotencyInProgressError, match="still running") as caught:
            await impatient.run(key, "fp", slow, ttl=60)
        assert caught.value.waited_seconds >= 0.2
        release.set()
        assert await first == "done"
        assert await impatient.run(key, "fp", slow, ttl=60) == "done"

    # --- inbox -----------------------------------------------------------------------------------

    async def test_an_inbox_handles_each_event_once_per_consumer(self, idempotency_store: Any) -> None:
        consumer = f"billing{uuid.uuid4().hex[:8]}"
        billing, audit = Inbox(idempotency_store, consumer), Inbox(idempotency_store, consumer + "audit")
        handled: list[tuple[str, str]] = []
        event = ContractInvoiceRequested(order_id="o-1")
        assert await billing.handle(event, lambda e: handled.append(("billing", e.order_id))) is True
        assert await billing.handle(event, lambda e: handled.append(("billing", e.order_id))) is False
        assert await audit.handle(event, lambda e: handled.append(("audit", e.order_id))) is True
        other = ContractInvoiceRequested(order_id="o-1")  # same payload, another event id
        assert await billing.handle(other, lambda e: handled.append(("billing", e.order_id))) is True
        assert handled == [("billing", "o-1"), ("audit", "o-1"), ("billing", "o-1")]


class TransactionalIdempotencyStoreContract(IdempotencyStoreContract):
    """The suite for stores with transactions (``store.transaction()``): the inbox's atomic form."""

    async def _inbox_table(self, store: Any) -> str:
        table = f"contract_invoices_{uuid.uuid4().hex[:12]}"
        async with store.transaction() as transaction:
            await transaction.session.execute(f"CREATE TABLE {table} (order_id TEXT, event_id TEXT)")
        return table

    async def _invoices(self, store: Any, table: str) -> list[tuple[Any, ...]]:
        async with store.transaction() as transaction:
            rows: list[tuple[Any, ...]] = await transaction.session.fetch(f"SELECT order_id FROM {table}")
            return rows

    async def _drop(self, store: Any, table: str) -> None:
        async with store.transaction() as transaction:
            await transaction.session.execute(f"DROP TABLE {table}")

    async def test_a_transactional_inbox_commits_the_consumers_rows_with_the_record(
        self, idempotency_store: Any, peer_store: Any
    ) -> None:
        table = await self._inbox_table(idempotency_store)
        inbox = Inbox(idempotency_store, "invoicing")
        event = ContractInvoiceRequested(order_id="o-7")
        insert = self.sql(f"INSERT INTO {table} (order_id, event_id) VALUES (?, ?)")
        try:
            seen: list[bool] = []

            async def crash_before_the_commit() -> None:
                async with inbox.receive(event) as delivery:
                    seen.append(delivery.seen)
                    await delivery.session.execute(insert, event.order_id, str(event.event_id))
                    raise _Failure("crashed before the commit")

            with pytest.raises(_Failure):
                await crash_before_the_commit()
            assert seen == [False]
            assert await self._invoices(idempotency_store, table) == []  # rolled back, record too

            for _ in range(3):
                async with Inbox(peer_store, "invoicing").receive(event) as delivery:
                    if delivery.seen:
                        continue
                    await delivery.session.execute(insert, event.order_id, str(event.event_id))
            assert await self._invoices(idempotency_store, table) == [("o-7",)]
            assert await idempotency_store.get(inbox.key_of(event)) is not None
        finally:
            await self._drop(idempotency_store, table)

    async def test_concurrent_transactional_deliveries_apply_an_event_once(
        self, idempotency_store: Any, peer_store: Any
    ) -> None:
        table = await self._inbox_table(idempotency_store)
        event = ContractInvoiceRequested(order_id="o-9")
        insert = self.sql(f"INSERT INTO {table} (order_id, event_id) VALUES (?, ?)")

        async def deliver(store: Any) -> bool:
            async with Inbox(store, "invoicing").receive(event) as delivery:
                if delivery.seen:
                    return False
                await asyncio.sleep(0.02)
                await delivery.session.execute(insert, event.order_id, str(event.event_id))
                return True

        try:
            applied = await asyncio.gather(
                *(deliver((idempotency_store, peer_store)[n % 2]) for n in range(6))
            )
            assert sorted(applied) == [False] * 5 + [True]
            assert await self._invoices(idempotency_store, table) == [("o-9",)]
        finally:
            await self._drop(idempotency_store, table)
