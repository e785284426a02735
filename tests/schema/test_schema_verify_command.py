"""``lexigram-events schema verify`` on a SQLite file: a readable history passes, a bad event fails."""

from __future__ import annotations

import asyncio
import os
from pathlib import Path

import pytest
from click.testing import CliRunner, Result
from invoice_history import InvoiceIssued, golden
from legacy_writer import LegacyWriter

from lexigram.events.cli.schema import schema
from lexigram.events.config import SqliteConfig
from lexigram.events.stores.sqlite import SqliteEventStore


@pytest.fixture(autouse=True)
def _without_settings_from_the_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    for name in list(os.environ):
        if name.upper().startswith("LEX_EVENTS__"):
            monkeypatch.delenv(name)


def verify(database: Path, *options: str) -> Result:
    arguments = ["verify", "--database", str(database), "--evolution", "invoice_history:evolution", *options]
    return CliRunner().invoke(schema, arguments)


def write(database: Path, *documents: dict[str, object]) -> None:
    """Store the documents as older code did, then one current invoice (the CLI runs its own loop)."""
    asyncio.run(_write(database, *documents))


async def _write(database: Path, *documents: dict[str, object]) -> None:
    writer = LegacyWriter()
    store = SqliteEventStore(SqliteConfig(database=str(database)), event_serializer=writer)
    for number, document in enumerate(documents, 1):
        await store.append(f"inv-{number}", [writer.placeholder(document)])
    await store.append(
        "inv-new", [InvoiceIssued(invoice_id="inv-new", amount_cents=5, customer_name="Grace")]
    )
    await store.close()


def test_every_historical_version_decodes(tmp_path: Path) -> None:
    database = tmp_path / "events.db"
    write(database, golden(1), golden(2), golden(3))
    result = verify(database)
    assert result.exit_code == 0, result.output
    assert result.output.splitlines()[1:] == [
        "  ok      InvoiceIssued v1: 1 event",
        "  ok      InvoiceIssued v2: 1 event",
        "  ok      InvoiceIssued v3: 2 events",
        "  checked 4 stored events: all decode",
    ]


def test_a_bad_event_fails_the_check_and_is_shown(tmp_path: Path) -> None:
    database = tmp_path / "events.db"
    mistyped = {**golden(2), "amount_cents": "12.50"}  # a v2 writer bug: cents as text
    unknown = {**golden(3), "event_type": "RefundRequested"}
    write(database, golden(1), mistyped, unknown)
    result = verify(database)
    assert result.exit_code == 1, result.output
    lines = result.output.splitlines()
    assert "  ok      InvoiceIssued v1: 1 event" in lines
    assert "  FAILED  InvoiceIssued v2: 1 of 1 event failed to decode" in lines
    assert any(
        "position 2 (stream 'inv-2' v1): amount_cents: Input should be a valid integer" in line
        for line in lines
    )
    assert any("FAILED  RefundRequested v3" in line for line in lines)
    assert any("no event class is known for RefundRequested" in line for line in lines)
    assert lines[-1] == "  checked 4 stored events: 2 failed"


def test_a_missing_database_or_evolution_is_a_clear_error(tmp_path: Path) -> None:
    missing = verify(tmp_path / "nowhere.db")
    assert missing.exit_code == 1
    assert "the database file does not exist" in missing.output
    result = CliRunner().invoke(schema, ["verify", "--database", "x.db", "--evolution", "invoice_history"])
    assert result.exit_code == 2
    assert "expected MODULE:ATTRIBUTE" in result.output
    result = CliRunner().invoke(
        schema, ["verify", "--database", "x.db", "--evolution", "invoice_history:GOLDEN"]
    )
    assert "it must be a SchemaEvolution" in result.output
