"""An application given a ``SchemaEvolution`` reads old event shapes as the current class."""

from __future__ import annotations

from pathlib import Path

import pytest
from invoice_history import InvoiceIssued, evolution, golden
from legacy_writer import LegacyWriter

from lexigram import Application
from lexigram.contracts.events import EventStoreProtocol
from lexigram.events import EventsConfig, EventsModule, SchemaEvolution, SqliteConfig, SqliteEventStore
from lexigram.events.types import EventStoreBackend


async def test_an_app_upcasts_what_an_older_version_stored(tmp_path: Path) -> None:
    sqlite = SqliteConfig(database=str(tmp_path / "billing.db"))
    writer = LegacyWriter()
    legacy = SqliteEventStore(sqlite, event_serializer=writer)  # the service as it was, at v1
    await legacy.append("invoice-1", [writer.placeholder(golden(1))])
    await legacy.close()

    config = EventsConfig(event_store_backend=EventStoreBackend.SQLITE, sqlite=sqlite)
    module = EventsModule.configure(config, schema_evolution=evolution)
    async with Application.boot(name="billing", modules=[module]) as app:
        store = await app.container.resolve(EventStoreProtocol)
        store.register_event_type("InvoiceIssued", InvoiceIssued)  # this test module's class
        (invoice,) = await store.read("invoice-1")
        assert isinstance(invoice, InvoiceIssued)
        assert invoice.schema_version == 3
        assert invoice.currency == "EUR"
        assert await app.container.resolve(SchemaEvolution) is evolution


def test_schema_evolution_must_upcast() -> None:
    with pytest.raises(TypeError, match="upcast"):
        EventsModule.configure(schema_evolution=object())
