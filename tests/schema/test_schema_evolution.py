"""Registering upcasters and downcasters, the generated schemas, and what new events are written as."""

from __future__ import annotations

from decimal import Decimal
from enum import Enum
from typing import Any
from uuid import UUID

import pytest
from invoice_history import InvoiceIssued, evolution, golden

from lexigram.contracts.messages import DomainEvent
from lexigram.events.exceptions import (
    EventVersionSkewError,
    SchemaError,
    UnknownEventTypeError,
    UpcastChainError,
)
from lexigram.events.schema import EventSchema, SchemaEvolution, SchemaRegistry, current_schema_version
from lexigram.events.stores.serialization import JsonEventSerializer, loads_json


class ShipmentDispatched(DomainEvent):
    """An event with no upcasters, still at version 1."""

    shipment_id: UUID
    weight_kg: Decimal
    carrier: str | None = None


class Priority(Enum):
    LOW = "low"
    HIGH = "high"


class TicketOpened(DomainEvent):
    schema_version: int = 2
    ticket_id: str
    priority: Priority
    tags: list[str] = []


def identity(data: dict[str, Any]) -> dict[str, Any]:
    return data


def test_the_current_version_is_the_class_default() -> None:
    assert current_schema_version(InvoiceIssued) == 3
    assert current_schema_version(ShipmentDispatched) == 1
    assert InvoiceIssued(invoice_id="i", amount_cents=1, customer_name="c").schema_version == 3


def test_writing_stamps_the_current_version_whatever_the_caller_passed() -> None:
    stale = InvoiceIssued(invoice_id="i", amount_cents=1, customer_name="c", schema_version=1)
    assert loads_json(JsonEventSerializer().serialize(stale))["schema_version"] == 3


def test_data_at_the_current_version_does_not_go_through_the_chain() -> None:
    current = golden(3)
    assert evolution.upcast(current) is current
    other = {"event_type": "ShipmentDispatched", "schema_version": 1}
    assert evolution.upcast(other) is other


@pytest.mark.parametrize(
    ("arguments", "message"),
    [
        (("InvoiceIssued", 2, 2), "must go up"),
        (("InvoiceIssued", 0, 1), "from_version must be an integer >= 1"),
        (("InvoiceIssued", 3, 4), "is at schema version 3"),
        (("InvoiceIssued", "1", 2), "from_version must be an integer"),
    ],
)
def test_bad_upcasters_are_refused_at_registration(arguments: tuple[Any, ...], message: str) -> None:
    with pytest.raises(UpcastChainError, match=message):
        SchemaEvolution().register_upcaster(*arguments, identity)


def test_a_second_upcaster_from_the_same_version_is_refused() -> None:
    evolution = SchemaEvolution()
    evolution.register_upcaster("InvoiceIssued", 1, 2, identity)
    with pytest.raises(UpcastChainError, match="already has an upcaster from v1"):
        evolution.register_upcaster("InvoiceIssued", 1, 3, identity)
    with pytest.raises(TypeError, match="must be a callable"):
        evolution.register_upcaster("TicketOpened", 1, 2, None)


def test_verify_lists_every_gap() -> None:
    evolution = SchemaEvolution()
    evolution.register_upcaster("InvoiceIssued", 2, 3, identity)
    evolution.register_downcaster("InvoiceIssued", 3, 2, identity)
    evolution.register_downcaster("InvoiceIssued", 2, 1, identity)
    evolution.register_upcaster("ParcelLost", 1, 2, identity)  # a type no class defines
    with pytest.raises(UpcastChainError) as raised:
        evolution.verify()
    assert raised.value.message.splitlines()[1:] == [
        "  InvoiceIssued: no upcaster from v1 (needed to bring older versions to v3)",
        "  ParcelLost: converters are registered, but no event class is known for it",
    ]


def test_an_upcaster_must_return_a_document() -> None:
    evolution = SchemaEvolution()
    evolution.register_upcaster("TicketOpened", 1, 2, lambda data: None)  # type: ignore[arg-type,return-value]
    with pytest.raises(UpcastChainError, match="returned NoneType"):
        evolution.upcast({"event_type": "TicketOpened", "schema_version": 1, "ticket_id": "t"})


def test_downcasting_refuses_to_go_up_or_through_a_gap() -> None:
    current = InvoiceIssued(invoice_id="i", amount_cents=1, customer_name="c")
    with pytest.raises(UpcastChainError, match="to the newer v4"):
        evolution.downcast(current, 4)
    with pytest.raises(UpcastChainError, match="no downcasters are registered for 'ShipmentDispatched'"):
        evolution.downcast(ShipmentDispatched(shipment_id=UUID(int=1), weight_kg=Decimal("2")), 0)
    assert evolution.downcast(current, 3) == current.to_dict()


def test_decode_builds_a_validated_event_or_names_what_is_wrong() -> None:
    assert evolution.decode(golden(1)) == InvoiceIssued.from_dict(golden(3))
    with pytest.raises(UnknownEventTypeError, match="'RefundRequested'"):
        evolution.decode({**golden(3), "event_type": "RefundRequested"})
    with pytest.raises(EventVersionSkewError, match="v5 is newer than the v3"):
        evolution.decode({**golden(3), "schema_version": 5})
    with pytest.raises(TypeError, match="amount_cents"):
        evolution.decode({**golden(3), "amount_cents": "a lot"})


def test_the_registry_generates_json_schemas_from_the_classes() -> None:
    registry = SchemaRegistry(ShipmentDispatched, TicketOpened)
    registry.register(InvoiceIssued, name="invoice.issued")
    assert list(registry) == ["ShipmentDispatched", "TicketOpened", "invoice.issued"]
    shipment = registry.get("ShipmentDispatched").json_schema
    assert shipment["properties"]["shipment_id"] == {
        "format": "uuid",
        "title": "Shipment Id",
        "type": "string",
    }
    assert shipment["properties"]["weight_kg"]["type"] == "string"  # what to_dict() writes for a Decimal
    assert shipment["required"] == ["shipment_id", "weight_kg"]
    ticket = registry.get(TicketOpened)
    assert (ticket.version, ticket.json_schema["x-schema-version"]) == (2, 2)
    assert "enum" in str(ticket.json_schema["$defs"]["Priority"])
    assert registry.get("invoice.issued").event_class is InvoiceIssued
    assert set(registry.json_schemas()) == {"ShipmentDispatched", "TicketOpened", "invoice.issued"}
    with pytest.raises(SchemaError, match="no event class is known for the event type 'Nothing'"):
        registry.get("Nothing")


def test_a_schema_lists_what_a_document_gets_wrong() -> None:
    schema = EventSchema.of(TicketOpened)
    good = TicketOpened(ticket_id="t-1", priority=Priority.HIGH).to_dict()
    assert schema.problems(good) == []
    assert schema.problems({**good, "priority": "urgent", "assignee": "bob"}) == [
        "priority: Input should be 'low' or 'high'",
        "assignee: Extra inputs are not permitted",
    ]
