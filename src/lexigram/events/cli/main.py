"""``lexigram-events``: the command-line entry point (needs the ``cli`` extra for click)."""

from __future__ import annotations

import sys
from importlib.metadata import PackageNotFoundError, version
from typing import NoReturn

__all__ = ["main"]


def _version() -> str:
    try:
        return version("lexigram-events")
    except PackageNotFoundError:
        return "unknown"


def main(argv: list[str] | None = None) -> NoReturn:
    """Run the command line and exit with the command's status (2 when click is missing)."""
    try:
        from lexigram.events.cli.commands import build_cli
    except ImportError as exc:
        if exc.name != "click":
            raise
        print(
            "lexigram-events: the command line needs click; install it with\n"
            "    pip install 'lexigram-events[cli]'",
            file=sys.stderr,
        )
        sys.exit(2)
    build_cli(_version()).main(args=argv, prog_name="lexigram-events")
