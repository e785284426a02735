"""Every historical shape of ``InvoiceIssued`` in ``golden/`` still decodes to the current event."""

from __future__ import annotations

import pytest
from invoice_history import InvoiceIssued, evolution, golden

from lexigram.events.schema import EventSchema
from lexigram.events.stores.serialization import JsonEventSerializer, dumps_json


def decode(document: dict[str, object]) -> InvoiceIssued:
    """Decode a stored document exactly as every store does: parse, upcast, build."""
    event = JsonEventSerializer().stored_decoder(evolution.upcast)(dumps_json(document), 7, 1)
    assert isinstance(event, InvoiceIssued)
    return event


@pytest.mark.parametrize("version", [1, 2, 3])
def test_each_golden_version_decodes_to_the_current_invoice(version: int) -> None:
    invoice = decode(golden(version))
    assert (invoice.invoice_id, invoice.amount_cents, invoice.customer_name, invoice.currency) == (
        "inv-1",
        1250,
        "Ada Lovelace",
        "EUR",
    )
    assert invoice.schema_version == 3
    assert invoice.sequence_number == 7
    assert str(invoice.event_id) == golden(version)["event_id"]


def test_the_current_class_writes_exactly_the_v3_golden_document() -> None:
    """Changing InvoiceIssued without a new version (and a new golden file) fails here."""
    assert InvoiceIssued.from_dict(golden(3)).to_dict() == golden(3)


@pytest.mark.parametrize("version", [1, 2])
def test_downcasting_the_current_invoice_gives_each_golden_shape(version: int) -> None:
    current = InvoiceIssued.from_dict(golden(3))
    assert evolution.downcast(current, version) == golden(version)


@pytest.mark.parametrize("version", [1, 2])
def test_older_shapes_do_not_fit_the_current_schema_until_upcast(version: int) -> None:
    schema = EventSchema.of(InvoiceIssued)
    assert schema.problems(golden(version))
    assert schema.problems(evolution.upcast(golden(version))) == []


def test_the_evolution_has_no_gaps() -> None:
    evolution.verify()
    assert evolution.problems() == []
