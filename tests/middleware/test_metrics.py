"""MetricsMiddleware counts calls, failures and durations per message class."""

from __future__ import annotations

import pytest

from lexigram.events import Command, CommandBusImpl, CommandExecutionError, Err, MetricsMiddleware


class Ping(Command):
    outcome: str = "ok"


class Other(Command):
    pass


async def test_calls_failures_and_durations_are_counted_per_message_class() -> None:
    metrics = MetricsMiddleware()
    bus = CommandBusImpl(middlewares=[metrics])

    def ping(command: Ping) -> object:
        if command.outcome == "raise":
            raise RuntimeError("no")
        return Err("declined") if command.outcome == "err" else "pong"

    bus.register(Ping, ping)
    bus.register(Other, lambda c: None)
    await bus.dispatch(Ping())
    await bus.dispatch(Ping(outcome="err"))
    with pytest.raises(CommandExecutionError):
        await bus.dispatch(Ping(outcome="raise"))
    await bus.dispatch(Other())
    figures = metrics.snapshot()
    assert (figures["Ping"].calls, figures["Ping"].failures) == (3, 2)
    assert (figures["Other"].calls, figures["Other"].failures) == (1, 0)
    ping_figures = figures["Ping"]
    assert 0 <= ping_figures.max_seconds <= ping_figures.total_seconds
    assert ping_figures.mean_seconds == pytest.approx(ping_figures.total_seconds / 3)
    metrics.reset()
    assert metrics.snapshot() == {}
