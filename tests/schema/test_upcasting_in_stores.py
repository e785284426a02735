"""Stored invoices of v1, v2 and v3 all come back as the current ``InvoiceIssued``, in every store."""

from __future__ import annotations

from typing import Any

import pytest
from invoice_history import InvoiceIssued, evolution, golden
from legacy_writer import LegacyWriter, StoreFactory

from lexigram.events.exceptions import EventLoadError, UpcastChainError
from lexigram.events.schema import SchemaEvolution
from lexigram.events.stores.memory import InMemoryEventStore

EXPECTED = ("inv-1", 1250, "Ada Lovelace", "EUR", 3)


def fields(invoice: Any) -> tuple[Any, ...]:
    assert isinstance(invoice, InvoiceIssued)
    return (
        invoice.invoice_id,
        invoice.amount_cents,
        invoice.customer_name,
        invoice.currency,
        invoice.schema_version,
    )


async def write_history(make_store: Any) -> None:
    """An old deployment wrote v1, a later one v2, the current one v3, all in stream inv-1."""
    writer = LegacyWriter()
    store = make_store(event_serializer=writer)
    for version in (1, 2, 3):
        await store.append("inv-1", [writer.placeholder(golden(version))], expected_version=version - 1)


async def test_a_sql_store_reads_every_stored_version_as_the_current_event(sql_stores: StoreFactory) -> None:
    make_store = sql_stores
    await write_history(make_store)
    reader = make_store(schema_evolution=evolution)

    stream = await reader.read("inv-1")
    assert [fields(invoice) for invoice in stream] == [EXPECTED] * 3
    assert [invoice.sequence_number for invoice in stream] == sorted(i.sequence_number for i in stream)
    assert [fields(invoice) async for invoice in reader.stream_all()] == [EXPECTED] * 3
    assert [fields(invoice) async for invoice in reader.stream_by_type(["InvoiceIssued"])] == [EXPECTED] * 3
    envelopes = await reader.read_envelopes(0, 10)
    assert [(e.stream_id, e.version, fields(e.event)) for e in envelopes] == [
        ("inv-1", version, EXPECTED) for version in (1, 2, 3)
    ]


async def test_new_invoices_are_written_at_the_current_version(sql_stores: StoreFactory) -> None:
    make_store = sql_stores
    store = make_store(schema_evolution=evolution)
    issued = InvoiceIssued(invoice_id="inv-2", amount_cents=99, customer_name="Grace", schema_version=1)
    await store.append("inv-2", [issued])
    (stored,) = await make_store().read("inv-2")  # no upcasters needed: it was written as v3
    assert (stored.schema_version, stored.customer_name) == (3, "Grace")


async def test_a_chain_with_a_missing_link_fails_the_read_and_says_which(sql_stores: StoreFactory) -> None:
    make_store = sql_stores
    await write_history(make_store)
    partial = SchemaEvolution()
    partial.register_upcaster("InvoiceIssued", 1, 2, lambda data: {**data, "amount_cents": 1250})
    with pytest.raises(UpcastChainError, match=r"at v2, but no upcaster goes from v2"):
        await make_store(schema_evolution=partial).read("inv-1")
    assert partial.problems() == ["InvoiceIssued: no upcaster from v2 (needed to bring older versions to v3)"]


async def test_a_failing_upcaster_names_the_position_of_the_event(sqlite_stores: StoreFactory) -> None:
    broken = SchemaEvolution()
    broken.register_upcaster("InvoiceIssued", 1, 3, lambda data: data["no such key"])
    writer = LegacyWriter()
    await sqlite_stores(event_serializer=writer).append("inv-1", [writer.placeholder(golden(1))])
    with pytest.raises(EventLoadError, match=r"position 1 cannot be decoded: KeyError"):
        await sqlite_stores(schema_evolution=broken).read("inv-1")


async def test_the_memory_store_takes_imported_history_decoded_through_the_chain() -> None:
    """The memory store keeps event objects, never old documents: history enters it decoded."""
    store = InMemoryEventStore(schema_evolution=evolution)
    imported = [evolution.decode(golden(version)) for version in (1, 2, 3)]
    await store.append("inv-1", imported, expected_version=0)
    assert [fields(invoice) for invoice in await store.read("inv-1")] == [EXPECTED] * 3
    assert [fields(invoice) async for invoice in store.stream_all()] == [EXPECTED] * 3
