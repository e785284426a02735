"""TransactionMiddleware commits on success and rolls back on failure."""

from __future__ import annotations

from types import TracebackType
from typing import Any

import pytest

from lexigram.events import (
    Command,
    CommandBusImpl,
    CommandExecutionError,
    Err,
    TransactionMiddleware,
)


class Deposit(Command):
    amount: int


class FakeUnitOfWork:
    """Records what happened to it."""

    journal: list[str]

    def __init__(self, journal: list[str]) -> None:
        self.journal = journal

    async def __aenter__(self) -> FakeUnitOfWork:
        self.journal.append("begin")
        return self

    async def __aexit__(
        self, kind: type[BaseException] | None, error: BaseException | None, tb: TracebackType | None
    ) -> None:
        self.journal.append("end")

    async def commit(self) -> None:
        self.journal.append("commit")

    def rollback(self) -> None:
        self.journal.append("rollback")


def bus_with(journal: list[str]) -> CommandBusImpl:
    bus = CommandBusImpl(middlewares=[TransactionMiddleware(lambda: FakeUnitOfWork(journal))])

    def deposit(command: Deposit) -> Any:
        journal.append("handler")
        if command.amount < 0:
            raise RuntimeError("negative")
        if command.amount == 0:
            return Err("nothing to deposit")
        return "ok"

    bus.register(Deposit, deposit)
    return bus


async def test_success_commits() -> None:
    journal: list[str] = []
    assert await bus_with(journal).dispatch(Deposit(amount=5)) == "ok"
    assert journal == ["begin", "handler", "commit", "end"]


async def test_an_exception_rolls_back_and_propagates() -> None:
    journal: list[str] = []
    with pytest.raises(CommandExecutionError):
        await bus_with(journal).dispatch(Deposit(amount=-1))
    assert journal == ["begin", "handler", "rollback", "end"]


async def test_an_err_result_rolls_back() -> None:
    journal: list[str] = []
    assert await bus_with(journal).dispatch(Deposit(amount=0)) == Err("nothing to deposit")
    assert journal == ["begin", "handler", "rollback", "end"]


async def test_a_context_manager_without_commit_decides_itself() -> None:
    exits: list[type[BaseException] | None] = []

    class Session:
        async def __aenter__(self) -> Session:
            return self

        async def __aexit__(self, kind: Any, error: Any, tb: Any) -> None:
            exits.append(kind)

    bus = CommandBusImpl(middlewares=[TransactionMiddleware(Session)])

    def deposit(command: Deposit) -> str:
        if command.amount < 0:
            raise RuntimeError("negative")
        return "ok"

    bus.register(Deposit, deposit)
    await bus.dispatch(Deposit(amount=1))
    with pytest.raises(CommandExecutionError):
        await bus.dispatch(Deposit(amount=-1))
    assert exits == [None, CommandExecutionError]


async def test_without_a_factory_messages_pass_through() -> None:
    bus = CommandBusImpl(middlewares=[TransactionMiddleware()])
    bus.register(Deposit, lambda c: "ok")
    assert await bus.dispatch(Deposit(amount=1)) == "ok"
    with pytest.raises(TypeError, match="callable"):
        TransactionMiddleware("not a factory")  # type: ignore[arg-type]
