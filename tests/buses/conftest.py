"""Fixtures for the bus tests: event buses with tiny back-offs, closed after each test."""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable
from typing import Any

import pytest

from lexigram.events import EventBusImpl
from lexigram.events.config import EventBusConfig

FAST = {"retry_backoff_seconds": 0.001, "retry_backoff_max_seconds": 0.004}


@pytest.fixture
async def make_bus() -> AsyncIterator[Callable[..., EventBusImpl]]:
    """Build event buses (config keywords go to ``EventBusConfig``); all are closed afterwards."""
    buses: list[EventBusImpl] = []

    def build(middlewares: Any = None, **settings: Any) -> EventBusImpl:
        bus = EventBusImpl(middlewares=middlewares, config=EventBusConfig(**{**FAST, **settings}))
        buses.append(bus)
        return bus

    yield build
    for bus in buses:
        await bus.close()


@pytest.fixture
def bus(make_bus: Callable[..., EventBusImpl]) -> EventBusImpl:
    """An event bus with default settings (but tiny retry back-offs)."""
    return make_bus()
