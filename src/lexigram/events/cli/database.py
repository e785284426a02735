"""``lexigram-events db init | upgrade | status``: the schema of the configured SQL stores.

The commands build the configured stores (``STORE_FACTORIES``, as an application would, plus the
backend's checkpoint store for projections) and use two methods every SQL store has:
``migrate()``, which applies the pending schema migrations and returns their versions, and
``schema_version()``. A store that also has ``latest_schema_version`` gets its pending migrations
reported by ``status``. Problems exit with status 1 and a message that
says what to do.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Any

import click

from lexigram.contracts.exceptions import LexigramError
from lexigram.events.cli.settings import describe_target, resolve_config
from lexigram.events.config import EventsConfig
from lexigram.events.di.stores import STORE_FACTORIES, StorePair
from lexigram.events.types import EventStoreBackend

__all__ = ["db", "resolved_config", "store_options"]

Step = Callable[[str, Any], Awaitable[str]]


def store_options(command: Callable[..., None]) -> Callable[..., None]:
    """The options that say which stores a command works on (every ``db`` command takes them)."""
    decorators = (
        click.option(
            "--config",
            "config_file",
            type=click.Path(exists=True, dir_okay=False, path_type=Path),
            help="A YAML file whose 'events' section configures the stores.",
        ),
        click.option(
            "--backend",
            type=click.Choice([backend.value for backend in EventStoreBackend]),
            help="The backend (default: from the config, else sqlite).",
        ),
        click.option("--database", help="The SQLite database file (sqlite.database)."),
        click.option("--dsn", help="The PostgreSQL connection string (postgres.dsn)."),
    )
    for decorate in reversed(decorators):
        command = decorate(command)
    return command


@click.group(help="Create, upgrade and inspect the schema of the configured event store.")
def db() -> None:
    """The ``db`` command group."""


@db.command(help="Create the schema in a new database; a no-op on one that is already initialised.")
@store_options
def init(**options: Any) -> None:
    async def create(what: str, store: Any) -> str:
        version = await store.schema_version()
        if version > 0:
            return f"{what}: already initialised (schema version {version}); nothing to do"
        applied = await store.migrate()
        return f"{what}: created the schema (version {max(applied, default=version)})"

    _run(options, create)


@db.command(help="Apply the schema migrations the database lacks (idempotent).")
@store_options
def upgrade(**options: Any) -> None:
    async def migrate(what: str, store: Any) -> str:
        applied = await store.migrate()
        if not applied:
            return f"{what}: up to date (schema version {await store.schema_version()}); nothing to do"
        listed = ", ".join(str(version) for version in applied)
        return f"{what}: applied migration{'s' * (len(applied) > 1)} {listed}; now at version {applied[-1]}"

    _run(options, migrate)


@db.command(help="Show the schema version of each store and what is pending.")
@store_options
def status(**options: Any) -> None:
    async def report(what: str, store: Any) -> str:
        version = await store.schema_version()
        latest = getattr(store, "latest_schema_version", None)
        if version == 0:
            return f"{what}: not initialised (run `lexigram-events db init`)"
        if isinstance(latest, int) and version < latest:
            return f"{what}: schema version {version} of {latest} (run `lexigram-events db upgrade`)"
        return f"{what}: schema version {version}" + (" (up to date)" if latest == version else "")

    _run(options, report, creates_files=False)


def resolved_config(options: dict[str, Any]) -> EventsConfig:
    """The events config the ``store_options`` describe; a bad one ends the command with a message."""
    try:
        return resolve_config(
            options["config_file"],
            backend=options["backend"],
            database=options["database"],
            dsn=options["dsn"],
        )
    except LexigramError as exc:
        raise click.ClickException(f"invalid events config: {exc}") from exc


def _run(options: dict[str, Any], step: Step, *, creates_files: bool = True) -> None:
    config = resolved_config(options)
    click.echo(describe_target(config))
    if not creates_files and _sqlite_file_missing(config):
        click.echo("  the database file does not exist yet (run `lexigram-events db init`)")
        return
    try:
        lines = asyncio.run(_each_store(config, step))
    except LexigramError as exc:
        raise click.ClickException(str(exc)) from exc
    for line in lines:
        click.echo(f"  {line}")


def _sqlite_file_missing(config: EventsConfig) -> bool:
    if config.event_store_backend is not EventStoreBackend.SQLITE or config.sqlite is None:
        return False
    database = config.sqlite.database
    return database != ":memory:" and not database.startswith("file:") and not Path(database).exists()


async def _each_store(config: EventsConfig, step: Step) -> list[str]:
    backend = config.event_store_backend
    factory = STORE_FACTORIES.get(backend)
    if factory is None:
        raise click.ClickException(f"the {backend.value} backend is not available in this version")
    pair = factory(config)
    stores: list[tuple[str, Any]] = [
        ("event store", pair.event_store),
        ("snapshot store", pair.snapshot_store),
        *(("subject-key store", extra) for extra in pair.extras),
    ]
    checkpoints = _checkpoint_store(config, pair)
    if checkpoints is not None:
        stores.append(("checkpoint store", checkpoints))
    if backend in (EventStoreBackend.SQLITE, EventStoreBackend.POSTGRES):
        from lexigram.events.di.buses import dead_letter_store_for, idempotency_store_for

        stores.append(("idempotency store", idempotency_store_for(config, pair.event_store)))
        dead_letters = dead_letter_store_for(config, pair.event_store)
        if dead_letters is not None:
            stores.append(("dead-letter store", dead_letters))
        from lexigram.events.di.sagas import saga_store_for

        stores.append(("saga store", saga_store_for(config, pair.event_store)))
    if config.event_store_backend is EventStoreBackend.POSTGRES and config.postgres is not None:
        from lexigram.events.stores.postgres.lease_store import PostgresPartitionLeaseStore

        pool = getattr(pair.event_store, "pool", None)
        stores.append(("partition lease store", PostgresPartitionLeaseStore(config.postgres, provider=pool)))
    migratable = [(what, store) for what, store in stores if callable(getattr(store, "migrate", None))]
    if not migratable:
        raise click.ClickException(
            f"the {backend.value} backend has no schema to manage; the db commands work with the SQL "
            "backends (sqlite, postgres)"
        )
    lines: list[str] = []
    try:
        for what, store in migratable:
            lines.append(await step(what, store))
    finally:
        for _, store in stores:
            await store.close()
    return lines


def _checkpoint_store(config: EventsConfig, pair: StorePair) -> Any | None:
    """The checkpoint store of a SQL backend, on the event store's database (and pool); else None."""
    backend = config.event_store_backend
    if backend is EventStoreBackend.SQLITE and config.sqlite is not None:
        from lexigram.events.stores.sqlite import SqliteCheckpointStore

        return SqliteCheckpointStore(config.sqlite)
    if backend is EventStoreBackend.POSTGRES and config.postgres is not None:
        from lexigram.events.stores.postgres import PostgresCheckpointStore

        return PostgresCheckpointStore(config.postgres, provider=getattr(pair.event_store, "pool", None))
    return None
