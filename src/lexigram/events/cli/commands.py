"""The command-line commands, built with click."""

from __future__ import annotations

import asyncio

import click

from lexigram.events.cli.database import db
from lexigram.events.cli.outbox import outbox
from lexigram.events.cli.schema import schema

__all__ = ["build_cli"]


def build_cli(package_version: str) -> click.Group:
    """Build the ``lexigram-events`` command group."""

    @click.group(help="lexigram-events: CQRS and Event Sourcing for Python.")
    @click.version_option(package_version, prog_name="lexigram-events")
    def cli() -> None:
        """The command group."""

    @cli.command(help="Run the order-fulfilment demo and print what happens.")
    @click.option(
        "--database",
        default="lexigram-demo.db",
        show_default=True,
        help="The SQLite file the events go to; an earlier demo's file is replaced, any other is refused.",
    )
    @click.option("--memory", is_flag=True, help="Keep the events in memory instead of a SQLite file.")
    def demo(database: str, memory: bool) -> None:
        from lexigram.contracts.exceptions import ConfigurationError
        from lexigram.events.config import EventsConfig
        from lexigram.events.demo import run_demo
        from lexigram.events.demo.storage import demo_config

        config = EventsConfig() if memory else demo_config(database)
        try:
            asyncio.run(run_demo(config, say=click.echo))
        except ConfigurationError as exc:
            raise click.ClickException(str(exc)) from exc

    cli.add_command(db)
    cli.add_command(outbox)
    cli.add_command(schema)
    return cli
