"""CircuitBreakerMiddleware fails fast after repeated failures and probes to recover."""

from __future__ import annotations

import asyncio

import pytest

from lexigram.events import (
    CircuitBreakerMiddleware,
    CircuitOpenError,
    Command,
    CommandBusImpl,
    CommandExecutionError,
    EventError,
    InvalidOperationError,
)
from lexigram.events.middleware import CircuitState


class Sync(Command):
    pass


class Other(Command):
    pass


class Backend:
    def __init__(self) -> None:
        self.healthy = False
        self.calls = 0

    def handle(self, command: Sync) -> str:
        self.calls += 1
        if not self.healthy:
            raise ConnectionError("backend down")
        return "synced"


def setup(
    threshold: int = 2, recovery: float = 0.02
) -> tuple[CommandBusImpl, Backend, CircuitBreakerMiddleware]:
    backend = Backend()
    breaker = CircuitBreakerMiddleware(failure_threshold=threshold, recovery_timeout=recovery)
    bus = CommandBusImpl(middlewares=[breaker])
    bus.register(Sync, backend)
    bus.register(Other, lambda c: "fine")
    return bus, backend, breaker


async def test_the_circuit_opens_after_the_threshold_and_fails_fast() -> None:
    bus, backend, breaker = setup()
    for _ in range(2):
        with pytest.raises(CommandExecutionError):
            await bus.dispatch(Sync())
    assert breaker.state(Sync) is CircuitState.OPEN
    with pytest.raises(CircuitOpenError) as caught:
        await bus.dispatch(Sync())
    assert isinstance(caught.value, EventError)
    assert caught.value.message_type == "Sync"
    assert caught.value.retry_after > 0
    assert backend.calls == 2
    assert await bus.dispatch(Other()) == "fine"  # one circuit per message class


async def test_after_the_recovery_timeout_one_probe_closes_the_circuit() -> None:
    bus, backend, breaker = setup()
    for _ in range(2):
        with pytest.raises(CommandExecutionError):
            await bus.dispatch(Sync())
    await asyncio.sleep(0.03)
    assert breaker.state(Sync) is CircuitState.HALF_OPEN
    backend.healthy = True
    assert await bus.dispatch(Sync()) == "synced"
    assert breaker.state(Sync) is CircuitState.CLOSED


async def test_a_failed_probe_opens_the_circuit_again() -> None:
    bus, backend, breaker = setup()
    for _ in range(2):
        with pytest.raises(CommandExecutionError):
            await bus.dispatch(Sync())
    await asyncio.sleep(0.03)
    with pytest.raises(CommandExecutionError):
        await bus.dispatch(Sync())
    assert breaker.state(Sync) is CircuitState.OPEN
    assert backend.calls == 3


async def test_while_a_probe_runs_other_calls_fail_fast() -> None:
    release = asyncio.Event()
    breaker = CircuitBreakerMiddleware(failure_threshold=1, recovery_timeout=0.01)
    bus = CommandBusImpl(middlewares=[breaker])
    calls = 0

    async def handle(command: Sync) -> str:
        nonlocal calls
        calls += 1
        if calls == 1:
            raise ConnectionError("down")
        await release.wait()
        return "ok"

    bus.register(Sync, handle)
    with pytest.raises(CommandExecutionError):
        await bus.dispatch(Sync())
    await asyncio.sleep(0.02)
    probe = asyncio.create_task(bus.dispatch(Sync()))
    await asyncio.sleep(0)
    with pytest.raises(CircuitOpenError):
        await bus.dispatch(Sync())
    release.set()
    assert await probe == "ok"
    assert breaker.state(Sync) is CircuitState.CLOSED


async def test_domain_errors_do_not_count_and_success_resets_the_count() -> None:
    breaker = CircuitBreakerMiddleware(failure_threshold=2)
    bus = CommandBusImpl(middlewares=[breaker])
    outcomes = iter(["down", "refused", "down", "ok", "down"])

    def handle(command: Sync) -> str:
        outcome = next(outcomes)
        if outcome == "down":
            raise ConnectionError("down")
        if outcome == "refused":
            raise InvalidOperationError("not allowed")
        return outcome

    bus.register(Sync, handle)
    for expected in (CommandExecutionError, InvalidOperationError, CommandExecutionError):
        with pytest.raises(expected):
            await bus.dispatch(Sync())
    assert await bus.dispatch(Sync()) == "ok"
    with pytest.raises(CommandExecutionError):
        await bus.dispatch(Sync())
    assert breaker.state(Sync) is CircuitState.CLOSED
    breaker.reset()
    with pytest.raises(ValueError, match="failure_threshold"):
        CircuitBreakerMiddleware(failure_threshold=0)
