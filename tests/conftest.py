"""Shared test fixtures."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from lexigram.events.decorators import clear_handler_registry


@pytest.fixture(autouse=True)
def _fresh_handler_registry() -> Iterator[None]:
    """Each test starts and ends with an empty global handler registry."""
    clear_handler_registry()
    yield
    clear_handler_registry()
