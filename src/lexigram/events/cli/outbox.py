"""``lexigram-events outbox status | parked | retry | skip``: the transactional outbox, for operators.

The commands open the configured event store with its outbox (SQLite or PostgreSQL) and report
what waits to be published, list the parked events (the ones a relay gave up on after
``outbox.max_attempts``), make them publishable again, or drop them from the outbox (the events
stay in the store).
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from typing import Any

import click

from lexigram.contracts.exceptions import LexigramError
from lexigram.events.cli.database import resolved_config, store_options
from lexigram.events.cli.settings import describe_target
from lexigram.events.config import EventsConfig
from lexigram.events.di.stores import STORE_FACTORIES
from lexigram.events.types import EventStoreBackend

__all__ = ["outbox"]

Work = Callable[[Any], Awaitable[list[str]]]


@click.group(help="Inspect the transactional outbox and handle the events a relay parked.")
def outbox() -> None:
    """The ``outbox`` command group."""


@outbox.command(help="How many events wait to be published, and how many are parked.")
@store_options
def status(**options: Any) -> None:
    async def report(store: Any) -> list[str]:
        pending = await store.outbox.pending_count()
        parked = await store.outbox.list_parked(limit=10_000)
        lines = [f"{pending} event{'s' * (pending != 1)} waiting to be published, {len(parked)} parked"]
        if parked:
            lines.append(
                "run `lexigram-events outbox parked` to see them, `outbox retry` to publish them again"
            )
        return lines

    _run(options, report)


@outbox.command(help="List the parked events, oldest first.")
@store_options
@click.option("--limit", default=100, show_default=True, type=click.IntRange(min=1), help="How many to list.")
def parked(limit: int, **options: Any) -> None:
    async def listing(store: Any) -> list[str]:
        entries = await store.outbox.list_parked(limit=limit)
        if not entries:
            return ["no parked events"]
        return [
            f"position {e.position}  {e.stream_id}  {e.event_type}  attempts={e.attempts}  "
            f"parked {e.parked_at:%Y-%m-%d %H:%M:%S}  {e.last_error}"
            for e in entries
        ]

    _run(options, listing)


@outbox.command(help="Make parked events publishable again (the given positions, or --all).")
@store_options
@click.argument("positions", nargs=-1, type=click.IntRange(min=1))
@click.option("--all", "everything", is_flag=True, help="Retry every parked event.")
def retry(positions: tuple[int, ...], everything: bool, **options: Any) -> None:
    if not positions and not everything:
        raise click.UsageError("name the positions to retry, or pass --all")

    async def retrying(store: Any) -> list[str]:
        count = await store.outbox.retry_parked(None if everything else list(positions))
        return [f"{count} parked event{'s' * (count != 1)} will be published again"]

    _run(options, retrying)


@outbox.command(help="Drop parked events from the outbox without publishing them (they stay stored).")
@store_options
@click.argument("positions", nargs=-1, required=True, type=click.IntRange(min=1))
def skip(positions: tuple[int, ...], **options: Any) -> None:
    async def skipping(store: Any) -> list[str]:
        count = await store.outbox.skip_parked(list(positions))
        return [f"{count} parked event{'s' * (count != 1)} dropped from the outbox"]

    _run(options, skipping)


def _run(options: dict[str, Any], work: Work) -> None:
    config = resolved_config(options)
    if config.event_store_backend not in (EventStoreBackend.SQLITE, EventStoreBackend.POSTGRES):
        raise click.ClickException(
            f"the {config.event_store_backend.value} backend keeps no durable outbox; the outbox "
            "commands work with the sqlite and postgres backends"
        )
    click.echo(describe_target(config))
    try:
        lines = asyncio.run(_with_store(config, work))
    except LexigramError as exc:
        raise click.ClickException(str(exc)) from exc
    for line in lines:
        click.echo(f"  {line}")


async def _with_store(config: EventsConfig, work: Work) -> list[str]:
    pair = STORE_FACTORIES[config.event_store_backend](config.model_copy(update={"outbox_enabled": True}))
    try:
        return await work(pair.event_store)
    finally:
        for store in (pair.event_store, pair.snapshot_store, *pair.extras):
            await store.close()
