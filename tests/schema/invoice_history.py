"""The test event with a history: ``InvoiceIssued`` went through three shapes.

* v1: ``amount`` in euros (a float) and ``customer``, the customer's name;
* v2: ``amount_cents`` (an int) instead of ``amount``;
* v3 (current): ``customer_name`` instead of ``customer``, and ``currency``.

``evolution`` upcasts v1 -> v2 -> v3 and downcasts v3 -> v2 -> v1. Golden documents of each
version, as stores wrote them, are in ``golden/``.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from lexigram.contracts.messages import DomainEvent
from lexigram.events.schema import SchemaEvolution

GOLDEN = Path(__file__).parent / "golden"


class InvoiceIssued(DomainEvent):
    """An invoice was issued (schema version 3)."""

    schema_version: int = 3
    invoice_id: str
    amount_cents: int
    customer_name: str
    currency: str = "EUR"


evolution = SchemaEvolution()


@evolution.upcaster("InvoiceIssued", 1)
def amount_in_cents(data: dict[str, Any]) -> dict[str, Any]:
    """v1 -> v2: euros (float) become cents (int)."""
    data["amount_cents"] = round(data.pop("amount") * 100)
    return data


@evolution.upcaster(InvoiceIssued, 2)
def customer_name_and_currency(data: dict[str, Any]) -> dict[str, Any]:
    """v2 -> v3: ``customer`` is renamed ``customer_name``; every earlier invoice was in euros."""
    data["customer_name"] = data.pop("customer")
    data["currency"] = "EUR"
    return data


@evolution.downcaster("InvoiceIssued", 3)
def back_to_customer(data: dict[str, Any]) -> dict[str, Any]:
    """v3 -> v2."""
    data["customer"] = data.pop("customer_name")
    del data["currency"]
    return data


@evolution.downcaster("InvoiceIssued", 2)
def back_to_euros(data: dict[str, Any]) -> dict[str, Any]:
    """v2 -> v1."""
    data["amount"] = data.pop("amount_cents") / 100
    return data


def golden(version: int) -> dict[str, Any]:
    """The golden stored document of ``InvoiceIssued`` at ``version``."""
    document: dict[str, Any] = json.loads((GOLDEN / f"invoice_issued_v{version}.json").read_text())
    return document
