"""``lexigram-events outbox status | parked | retry | skip``: an operator handles parked events."""

from __future__ import annotations

import asyncio
from pathlib import Path

import pytest
from click.testing import CliRunner, Result

from lexigram.events import SqliteConfig, SqliteEventStore
from lexigram.events.cli.commands import build_cli
from lexigram.events.outbox import OutboxFailure
from lexigram.events.testing.outbox_store_contract import OutboxContractEvent


def run(*args: str) -> Result:
    return CliRunner().invoke(build_cli("test"), ["outbox", *args])


def park_the_first_of_two(database: Path) -> int:
    async def park() -> int:
        store = SqliteEventStore(SqliteConfig(database=str(database)), outbox=True)
        await store.append("crate-1", [OutboxContractEvent(n=1), OutboxContractEvent(n=2)])
        first, second = await store.outbox.claim("relay", 10, 30.0)
        failure = OutboxFailure(first.position, "ConnectionError: broker unreachable", None)
        await store.outbox.complete("relay", [], [failure], [second.position])
        await store.close()
        return first.position

    return asyncio.run(park())


def test_an_operator_sees_a_parked_event_and_sends_it_again(tmp_path: Path) -> None:
    database = tmp_path / "app.db"
    position = park_the_first_of_two(database)

    status = run("status", "--database", str(database))
    assert status.exit_code == 0, status.output
    assert "2 events waiting to be published, 1 parked" in status.output

    listing = run("parked", "--database", str(database))
    assert f"position {position}  crate-1  OutboxContractEvent  attempts=1" in listing.output
    assert "broker unreachable" in listing.output

    retried = run("retry", str(position), "--database", str(database))
    assert "1 parked event will be published again" in retried.output
    assert "2 events waiting to be published, 0 parked" in run("status", "--database", str(database)).output
    assert "no parked events" in run("parked", "--database", str(database)).output


def test_an_operator_drops_a_parked_event_from_the_outbox(tmp_path: Path) -> None:
    database = tmp_path / "app.db"
    position = park_the_first_of_two(database)
    skipped = run("skip", str(position), "--database", str(database))
    assert "1 parked event dropped from the outbox" in skipped.output
    assert "1 event waiting to be published, 0 parked" in run("status", "--database", str(database)).output


@pytest.mark.parametrize(
    ("arguments", "message"),
    [
        (("retry",), "name the positions to retry, or pass --all"),
        (("skip",), "Missing argument"),
        (("status", "--backend", "memory"), "the memory backend keeps no durable outbox"),
        (("retry", "0", "--all"), "0 is not in the range"),
    ],
)
def test_mistakes_exit_with_what_to_do(arguments: tuple[str, ...], message: str, tmp_path: Path) -> None:
    result = run(*arguments, "--database", str(tmp_path / "app.db"))
    assert result.exit_code != 0
    assert message in result.output
