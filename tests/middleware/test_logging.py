"""LoggingMiddleware logs start, outcome and duration."""

from __future__ import annotations

import logging

import pytest

from lexigram.events import Command, CommandBusImpl, CommandExecutionError, Err, LoggingMiddleware


class Ping(Command):
    fail: str = ""


def make_bus(middleware: LoggingMiddleware) -> CommandBusImpl:
    bus = CommandBusImpl(middlewares=[middleware])

    def ping(command: Ping) -> object:
        if command.fail == "raise":
            raise RuntimeError("kaput")
        return Err("declined") if command.fail == "err" else "pong"

    bus.register(Ping, ping)
    return bus


async def test_start_success_and_duration_are_logged(caplog: pytest.LogCaptureFixture) -> None:
    bus = make_bus(LoggingMiddleware())
    with caplog.at_level(logging.INFO, logger="lexigram.events.middleware"):
        await bus.dispatch(Ping())
    messages = [r.getMessage() for r in caplog.records]
    assert messages[0] == "handling Ping"
    assert messages[1].startswith("handled Ping in ")
    assert messages[1].endswith(" ms")


async def test_failures_are_logged_at_the_failure_level(caplog: pytest.LogCaptureFixture) -> None:
    bus = make_bus(LoggingMiddleware())
    with caplog.at_level(logging.INFO, logger="lexigram.events.middleware"):
        with pytest.raises(CommandExecutionError):
            await bus.dispatch(Ping(fail="raise"))
        await bus.dispatch(Ping(fail="err"))
    failures = [r for r in caplog.records if r.levelno == logging.ERROR]
    assert len(failures) == 2
    assert "kaput" in failures[0].getMessage()
    assert "declined" in failures[1].getMessage()


async def test_logger_and_levels_are_configurable(caplog: pytest.LogCaptureFixture) -> None:
    logger = logging.getLogger("app.commands")
    bus = make_bus(LoggingMiddleware(logger=logger, level=logging.DEBUG, failure_level=logging.WARNING))
    with caplog.at_level(logging.DEBUG, logger="app.commands"):
        await bus.dispatch(Ping())
        await bus.dispatch(Ping(fail="err"))
    assert [r.levelno for r in caplog.records] == [
        logging.DEBUG,
        logging.DEBUG,
        logging.DEBUG,
        logging.WARNING,
    ]
    assert all(r.name == "app.commands" for r in caplog.records)
