"""RetryMiddleware retries transient failures with exponential back-off."""

from __future__ import annotations

import asyncio

import pytest

from lexigram.events import (
    Command,
    CommandBusImpl,
    CommandExecutionError,
    InvalidOperationError,
    MessageValidationError,
    RetryMiddleware,
)


class Charge(Command):
    card: str


class FlakyGateway:
    def __init__(self, failures: int, error: Exception | None = None) -> None:
        self.failures = failures
        self.error = error or ConnectionError("gateway unreachable")
        self.calls = 0

    def handle(self, command: Charge) -> str:
        self.calls += 1
        if self.calls <= self.failures:
            raise self.error
        return "charged"


def bus_with(gateway: FlakyGateway, retry: RetryMiddleware) -> CommandBusImpl:
    bus = CommandBusImpl(middlewares=[retry])
    bus.register(Charge, gateway)
    return bus


async def test_transient_failures_are_retried_with_doubling_pauses(monkeypatch: pytest.MonkeyPatch) -> None:
    pauses: list[float] = []

    async def recording_sleep(seconds: float) -> None:
        pauses.append(seconds)

    monkeypatch.setattr("lexigram.events.middleware.retry.asyncio.sleep", recording_sleep)
    gateway = FlakyGateway(failures=3)
    bus = bus_with(gateway, RetryMiddleware(max_attempts=4, base_delay=0.1, max_delay=0.3))
    assert await bus.dispatch(Charge(card="c")) == "charged"
    assert gateway.calls == 4
    assert pauses == [0.1, 0.2, 0.3]


async def test_defaults_three_attempts_then_the_last_error_propagates() -> None:
    retry = RetryMiddleware(base_delay=0.001)
    assert (retry.max_attempts, RetryMiddleware().base_delay) == (3, 0.1)
    gateway = FlakyGateway(failures=5)
    with pytest.raises(CommandExecutionError, match="gateway unreachable"):
        await bus_with(gateway, retry).dispatch(Charge(card="c"))
    assert gateway.calls == 3


@pytest.mark.parametrize(
    "error", [InvalidOperationError("card blocked"), MessageValidationError("Charge", ["bad card"])]
)
async def test_domain_and_validation_errors_are_not_retried(error: Exception) -> None:
    gateway = FlakyGateway(failures=5, error=error)
    with pytest.raises(type(error)):
        await bus_with(gateway, RetryMiddleware(base_delay=0.001)).dispatch(Charge(card="c"))
    assert gateway.calls == 1


async def test_the_retry_rule_is_configurable() -> None:
    gateway = FlakyGateway(failures=5)
    never = RetryMiddleware(base_delay=0.001, retry_on=lambda exc: False)
    with pytest.raises(CommandExecutionError):
        await bus_with(gateway, never).dispatch(Charge(card="c"))
    assert gateway.calls == 1
    with pytest.raises(ValueError, match="max_attempts"):
        RetryMiddleware(max_attempts=0)


async def test_cancellation_is_never_retried() -> None:
    started = asyncio.Event()

    async def hangs(command: Charge) -> None:
        started.set()
        await asyncio.sleep(10)

    bus = CommandBusImpl(middlewares=[RetryMiddleware(base_delay=0.001)])
    bus.register(Charge, hangs)
    task = asyncio.create_task(bus.dispatch(Charge(card="c")))
    await started.wait()
    task.cancel()
    with pytest.raises(asyncio.CancelledError):
        await task
