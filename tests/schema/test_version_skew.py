"""Events a reader cannot take are reported, never crash it and are never silently dropped."""

from __future__ import annotations

from typing import Any

import pytest
from invoice_history import InvoiceIssued, evolution, golden
from legacy_writer import LegacyWriter, StoreFactory

from lexigram.events.exceptions import (
    EventLoadError,
    EventVersionSkewError,
    SchemaError,
    UnknownEventTypeError,
)
from lexigram.events.schema import (
    KnownEventSet,
    KnownEventSetRegistry,
    SkewLog,
    SkewReason,
    UnknownEvent,
    VersionAwareSubscription,
    VersionSkew,
    known_event_sets,
    known_events,
    reading_version_skew,
)


def current_invoice(invoice_id: str) -> InvoiceIssued:
    return InvoiceIssued(invoice_id=invoice_id, amount_cents=100, customer_name="Ada")


async def log_with_surprises(make_store: StoreFactory) -> None:
    """Positions 1 and 4: invoices this service knows; 2: a type it has never heard of (a newer
    service's); 3: an invoice of v4, written by a newer deployment."""
    writer = LegacyWriter()
    store = make_store(event_serializer=writer)
    refund = {**golden(3), "event_type": "RefundRequested", "schema_version": 1, "reason": "damaged"}
    newer = {**golden(3), "schema_version": 4, "vat_cents": 210}
    await store.append("inv-1", [current_invoice("inv-1")])
    await store.append("refund-1", [writer.placeholder(refund)])
    await store.append("inv-2", [writer.placeholder(newer)])
    await store.append("inv-3", [current_invoice("inv-3")])


async def test_a_plain_read_raises_a_named_error_for_each_kind_of_skew(sqlite_stores: StoreFactory) -> None:
    await log_with_surprises(sqlite_stores)
    reader = sqlite_stores(schema_evolution=evolution)
    with pytest.raises(UnknownEventTypeError, match="RefundRequested") as unknown:
        await reader.read("refund-1")
    assert unknown.value.position == 2
    with pytest.raises(EventVersionSkewError, match="schema version 4, newer than the v3") as newer:
        await reader.read("inv-2")
    assert (newer.value.stored_version, newer.value.known_version, newer.value.position) == (4, 3, 3)
    assert [invoice.invoice_id for invoice in await reader.read("inv-3")] == ["inv-3"]


async def test_inside_reading_version_skew_a_read_returns_unknown_event_records(
    sqlite_stores: StoreFactory,
) -> None:
    await log_with_surprises(sqlite_stores)
    reader = sqlite_stores(schema_evolution=evolution)
    with reading_version_skew():
        events = await reader.read_all()
    assert [type(event).__name__ for event in events] == [
        "InvoiceIssued",
        "UnknownEvent",
        "UnknownEvent",
        "InvoiceIssued",
    ]
    refund, newer = events[1], events[2]
    assert isinstance(refund, UnknownEvent)
    assert isinstance(newer, UnknownEvent)
    assert (refund.original_type, refund.reason, refund.stored_version, refund.known_version) == (
        "RefundRequested",
        "unknown_type",
        1,
        None,
    )
    assert refund.data["reason"] == "damaged"  # the stored document is kept whole
    assert (newer.reason, newer.stored_version, newer.known_version, newer.sequence_number) == (
        "newer_version",
        4,
        3,
        3,
    )
    with pytest.raises(UnknownEventTypeError):  # the opt-in ends with the block
        await reader.read_all()


async def test_a_version_aware_subscription_delivers_the_rest_and_reports_the_skew(
    sql_stores: StoreFactory,
) -> None:
    await log_with_surprises(sql_stores)
    store = sql_stores(schema_evolution=evolution)
    with reading_version_skew():
        positions = [envelope.position for envelope in await store.read_envelopes(0, 10)]
    reported: list[VersionSkew] = []
    subscription = VersionAwareSubscription(store, on_skew=reported.append, batch_size=2)
    delivered = [envelope.event.invoice_id async for envelope in subscription.envelopes()]
    assert delivered == ["inv-1", "inv-3"]
    assert subscription.position == positions[3]
    assert [(s.reason, s.event_type, s.stored_version, s.position, s.stream_id) for s in reported] == [
        (SkewReason.UNKNOWN_TYPE, "RefundRequested", 1, positions[1], "refund-1"),
        (SkewReason.NEWER_VERSION, "InvoiceIssued", 4, positions[2], "inv-2"),
    ]
    assert subscription.skew_log.summary() == [
        "InvoiceIssued v4: 1 x newer_version",
        "RefundRequested v1: 1 x unknown_type",
    ]
    assert "InvoiceIssued v4 is newer than the known v3" in reported[1].describe()


async def test_an_unreadable_event_is_reported_with_its_error(sqlite_stores: StoreFactory) -> None:
    writer = LegacyWriter()
    broken = {**golden(1)}
    del broken["amount"]  # the v1 -> v2 upcaster needs it
    await sqlite_stores(event_serializer=writer).append("inv-9", [writer.placeholder(broken)])
    log = SkewLog()
    subscription = VersionAwareSubscription(sqlite_stores(schema_evolution=evolution), skew_log=log)
    assert await subscription.read() == []
    (skew,) = log.entries()
    assert (skew.reason, skew.event_type, skew.stored_version) == (SkewReason.UNREADABLE, "InvoiceIssued", 1)
    assert "KeyError" in str(skew.error)
    with pytest.raises(EventLoadError, match="position 1 cannot be decoded"):
        await sqlite_stores(schema_evolution=evolution).read("inv-9")


async def test_a_consumer_behind_the_writer_is_held_back_and_listed_as_a_gap(
    sqlite_stores: StoreFactory,
) -> None:
    @known_events(("InvoiceIssued", 2), name="LegacyInvoiceMailer")
    class LegacyInvoiceMailer:
        async def apply(self, event: Any) -> None: ...

    mailer = LegacyInvoiceMailer()
    store = sqlite_stores(schema_evolution=evolution)
    await store.append("inv-1", [current_invoice("inv-1")])
    subscription = VersionAwareSubscription(store, consumer=mailer)
    assert await subscription.read() == []
    (skew,) = subscription.skew_log.entries(reason=SkewReason.CONSUMER_BEHIND)
    assert (skew.consumer, skew.stored_version, skew.known_version) == ("LegacyInvoiceMailer", 3, 2)
    assert isinstance(skew.event, InvoiceIssued)
    gaps = [gap.describe() for gap in known_event_sets.gaps() if gap.consumer == "LegacyInvoiceMailer"]
    assert gaps == ["LegacyInvoiceMailer: knows InvoiceIssued up to v2, but the service writes v3"]


async def test_a_consumer_that_knows_the_current_version_gets_every_invoice(
    sqlite_stores: StoreFactory,
) -> None:
    @known_events(InvoiceIssued)
    class InvoiceTotals:
        pass

    store = sqlite_stores(schema_evolution=evolution)
    await store.append("inv-1", [current_invoice("inv-1")])
    subscription = VersionAwareSubscription(store, consumer=InvoiceTotals())
    assert [envelope.event.invoice_id for envelope in await subscription.read()] == ["inv-1"]
    assert subscription.skew_log.total == 0


async def test_a_failing_report_keeps_the_event_for_the_next_read(sqlite_stores: StoreFactory) -> None:
    await log_with_surprises(sqlite_stores)
    failures = [RuntimeError("pager is down")]

    async def alert(skew: VersionSkew) -> None:
        if failures:
            raise failures.pop()

    subscription = VersionAwareSubscription(sqlite_stores(schema_evolution=evolution), on_skew=alert)
    first = await subscription.read()
    assert [e.event.invoice_id for e in first] == ["inv-1"]  # delivered before the skew is reported
    with pytest.raises(RuntimeError, match="pager is down"):
        await subscription.read()
    assert subscription.position == 1
    rest = [e.event.invoice_id async for e in subscription.envelopes()]
    assert rest == ["inv-3"]
    assert subscription.skew_log.total == 3  # the refund was recorded twice: once per attempt


def test_the_deployment_check_names_every_consumer_that_is_behind() -> None:
    registry = KnownEventSetRegistry()
    registry.register(KnownEventSet.of("Billing", ("InvoiceIssued", 3)))
    registry.register(KnownEventSet.of("Archive", ("InvoiceIssued", 1), "CreditNoteIssued"))
    assert [gap.describe() for gap in registry.gaps()] == [
        "Archive: knows CreditNoteIssued, but no event class is known for it",
        "Archive: knows InvoiceIssued up to v1, but the service writes v3",
    ]
    with pytest.raises(SchemaError, match="consumers are behind"):
        registry.check()


def test_bad_declarations_are_refused() -> None:
    with pytest.raises(ValueError, match="at least one event type"):
        known_events()
    with pytest.raises(ValueError, match="integer >= 1"):
        known_events(("InvoiceIssued", 0))
    with pytest.raises(TypeError, match="read_envelopes"):
        VersionAwareSubscription(object())  # type: ignore[arg-type]
