"""``lexigram-events schema verify``: can every stored event still be read by the current code?

It builds the configured event store (the same ``--config`` / ``--backend`` / ``--database`` /
``--dsn`` options as ``db status``) with your schema evolution, decodes every stored event through
the current upcaster chain, and checks what the chain produces against each event class's JSON
Schema. It prints one line per event type and stored version, with examples of each failure, and
exits with status 1 when anything fails. Nothing is written to the database.

``--evolution module:attribute`` names your ``SchemaEvolution`` (or a ``SchemaRegistry``, or a
function returning either); importing that module must also import your event classes. The
current directory is importable, as with ``python -m``.
"""

from __future__ import annotations

import asyncio
import importlib
import sys
from pathlib import Path
from typing import Any

import click

from lexigram.contracts.exceptions import LexigramError
from lexigram.events.cli.database import resolved_config, store_options
from lexigram.events.cli.settings import describe_target
from lexigram.events.config import EventsConfig
from lexigram.events.schema.evolution import SchemaEvolution
from lexigram.events.schema.registry import SchemaRegistry
from lexigram.events.schema.verification import StoredEventVerifier, VerificationReport
from lexigram.events.types import EventStoreBackend

__all__ = ["load_evolution", "schema"]


@click.group(help="Check stored events against the current event schemas.")
def schema() -> None:
    """The ``schema`` command group."""


@schema.command(help="Decode every stored event through the current upcasters; exit 1 if any fails.")
@store_options
@click.option(
    "--evolution",
    "evolution_path",
    metavar="MODULE:ATTRIBUTE",
    help="Your SchemaEvolution (or SchemaRegistry, or a function returning one), e.g. shop.events:evolution.",
)
@click.option(
    "--batch-size", default=500, show_default=True, type=click.IntRange(min=1), help="Events read at once."
)
@click.option(
    "--examples", default=3, show_default=True, type=click.IntRange(min=0), help="Failures shown per type."
)
def verify(evolution_path: str | None, batch_size: int, examples: int, **options: Any) -> None:
    evolution = load_evolution(evolution_path)
    config = resolved_config(options)
    click.echo(describe_target(config))
    if _sqlite_file_missing(config):
        raise click.ClickException("the database file does not exist: there is nothing to verify")
    try:
        report = asyncio.run(_verify(config, evolution, batch_size))
    except LexigramError as exc:
        raise click.ClickException(str(exc)) from exc
    for line in report.lines(examples=examples):
        click.echo(f"  {line}")
    if not report.ok:
        sys.exit(1)


def load_evolution(path: str | None) -> SchemaEvolution:
    """Import ``module:attribute`` and return the ``SchemaEvolution`` it names (an empty one for None)."""
    if path is None:
        return SchemaEvolution()
    module_name, _, attribute = path.partition(":")
    if not module_name or not attribute:
        raise click.BadParameter(f"expected MODULE:ATTRIBUTE, got {path!r}", param_hint="--evolution")
    if str(Path.cwd()) not in sys.path:
        sys.path.insert(0, str(Path.cwd()))
    try:
        module = importlib.import_module(module_name)
    except ImportError as exc:
        raise click.BadParameter(f"cannot import {module_name}: {exc}", param_hint="--evolution") from exc
    found: Any = module
    for part in attribute.split("."):
        if not hasattr(found, part):
            raise click.BadParameter(
                f"{module_name} has no attribute {attribute!r}", param_hint="--evolution"
            )
        found = getattr(found, part)
    if (
        callable(found)
        and not isinstance(found, (SchemaEvolution, SchemaRegistry))
        and not isinstance(found, type)
    ):
        found = found()
    if isinstance(found, SchemaRegistry):
        return SchemaEvolution(found)
    if isinstance(found, SchemaEvolution):
        return found
    raise click.BadParameter(
        f"{path} is a {type(found).__name__}; it must be a SchemaEvolution or a SchemaRegistry "
        "(or a function returning one)",
        param_hint="--evolution",
    )


def _sqlite_file_missing(config: EventsConfig) -> bool:
    if config.event_store_backend is not EventStoreBackend.SQLITE or config.sqlite is None:
        return False
    database = config.sqlite.database
    return database != ":memory:" and not database.startswith("file:") and not Path(database).exists()


async def _verify(config: EventsConfig, evolution: SchemaEvolution, batch_size: int) -> VerificationReport:
    verifier = StoredEventVerifier(evolution)
    store = _event_store(config, verifier)
    try:
        return await verifier.run(store, batch_size=batch_size)
    finally:
        await store.close()


def _event_store(config: EventsConfig, verifier: StoredEventVerifier) -> Any:
    """The configured SQL event store, reading only (no tables created), decoding through ``verifier``."""
    backend = config.event_store_backend
    if backend is EventStoreBackend.SQLITE and config.sqlite is not None:
        from lexigram.events.stores.sqlite import SqliteEventStore

        sqlite = config.sqlite.model_copy(update={"auto_create_tables": False})
        return SqliteEventStore(sqlite, schema_evolution=verifier)
    if backend is EventStoreBackend.POSTGRES and config.postgres is not None:
        from lexigram.events.stores.postgres import PostgresEventStore

        postgres = config.postgres.model_copy(update={"auto_create_tables": False})
        return PostgresEventStore(postgres, schema_evolution=verifier)
    raise click.ClickException(
        f"schema verify reads the SQL backends (sqlite, postgres), not {backend.value}"
    )
