"""The command-line commands, built with click."""

from __future__ import annotations

import asyncio

import click

__all__ = ["build_cli"]


def build_cli(package_version: str) -> click.Group:
    """Build the ``lexigram-events`` command group."""

    @click.group(help="lexigram-events: CQRS and Event Sourcing for Python.")
    @click.version_option(package_version, prog_name="lexigram-events")
    def cli() -> None:
        """The command group."""

    @cli.command(help="Run the order-fulfilment demo and print what happens.")
    def demo() -> None:
        from lexigram.events.demo import run_demo

        asyncio.run(run_demo(say=click.echo))

    return cli
