"""The ``lexigram-events`` command line."""

from lexigram.events.cli.main import main

__all__ = ["main"]
