"""HandlerRegistry.discover imports a module or package and registers the handlers defined in it."""

from __future__ import annotations

import importlib
import sys
import textwrap
import uuid
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from lexigram.events import HandlerRegistry, clear_handler_registry, get_all_handlers

MESSAGES = """
from lexigram.events import Command, DomainEvent, Query

class OpenAccount(Command):
    owner: str

class GetAccount(Query):
    owner: str

class AccountOpened(DomainEvent):
    owner: str
"""

COMMANDS = """
from lexigram.events import CommandHandlerProtocol
from {package}.messages import OpenAccount

class OpenAccountHandler(CommandHandlerProtocol[OpenAccount, str]):
    async def handle(self, command: OpenAccount) -> str:
        return "opened " + command.owner
"""

QUERIES = """
from typing import Generic, TypeVar

from lexigram.events import QueryHandlerProtocol
from {package}.messages import GetAccount

Q = TypeVar("Q")

class CachedQueryHandler(QueryHandlerProtocol[Q, dict], Generic[Q]):
    '''A generic intermediate base: not a handler itself.'''

class GetAccountHandler(CachedQueryHandler[GetAccount]):
    async def handle(self, query: GetAccount) -> dict:
        return {{"owner": query.owner}}
"""

EVENTS = """
from lexigram.events import event_handler
from {package}.commands import OpenAccountHandler  # imported: counted in its own module only
from {package}.messages import AccountOpened

WELCOMED = []

@event_handler
async def welcome(event: AccountOpened) -> None:
    WELCOMED.append(event.owner)

def not_a_handler(event: AccountOpened) -> None:
    pass
"""

PackageFactory = Callable[[dict[str, str]], str]


@pytest.fixture
def make_package(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[PackageFactory]:
    """Write a uniquely named package of modules (name -> source) and return its name."""
    monkeypatch.syspath_prepend(str(tmp_path))
    created: list[str] = []

    def make(modules: dict[str, str]) -> str:
        package = f"bank_{uuid.uuid4().hex[:8]}"
        root = tmp_path / package
        root.mkdir()
        (root / "__init__.py").write_text("")
        for name, source in modules.items():
            path = root.joinpath(*name.split("."))
            path.parent.mkdir(parents=True, exist_ok=True)
            (path.parent / "__init__.py").touch()
            path.with_suffix(".py").write_text(textwrap.dedent(source.format(package=package)))
        importlib.invalidate_caches()
        created.append(package)
        return package

    yield make
    for name in list(sys.modules):
        if any(name == package or name.startswith(package + ".") for package in created):
            del sys.modules[name]


def bank_modules() -> dict[str, str]:
    return {"messages": MESSAGES, "commands": COMMANDS, "queries": QUERIES, "events": EVENTS}


def test_discovering_a_package_finds_the_handlers_of_every_submodule(make_package: PackageFactory) -> None:
    package = make_package(bank_modules())
    registry = HandlerRegistry()

    assert registry.discover(package) == 3

    commands = importlib.import_module(f"{package}.commands")
    queries = importlib.import_module(f"{package}.queries")
    events = importlib.import_module(f"{package}.events")
    messages = importlib.import_module(f"{package}.messages")
    assert registry.get_command_handlers() == {messages.OpenAccount: commands.OpenAccountHandler}
    assert registry.get_query_handlers() == {messages.GetAccount: queries.GetAccountHandler}
    assert registry.get_event_handlers() == {messages.AccountOpened: [events.welcome]}


def test_without_recursion_only_the_named_module_is_scanned(make_package: PackageFactory) -> None:
    package = make_package({**bank_modules(), "nested.more": COMMANDS.replace("Handler(", "Again(")})

    assert HandlerRegistry().discover(package, recursive=False) == 0
    assert HandlerRegistry().discover(f"{package}.commands", recursive=False) == 1
    assert HandlerRegistry().discover(f"{package}.nested") == 1


def test_discovery_still_finds_decorated_handlers_after_the_registry_was_cleared(
    make_package: PackageFactory,
) -> None:
    package = make_package(bank_modules())
    importlib.import_module(f"{package}.events")  # decorators run now
    clear_handler_registry()
    assert get_all_handlers() == []

    registry = HandlerRegistry()

    assert registry.discover(f"{package}.events") == 1
    assert [handler.__name__ for [handler] in registry.get_event_handlers().values()] == ["welcome"]


def test_a_missing_module_raises_import_error_instead_of_finding_nothing(
    make_package: PackageFactory,
) -> None:
    package = make_package(bank_modules())

    with pytest.raises(ImportError):
        HandlerRegistry().discover(f"{package}.nowhere")
    with pytest.raises(ImportError):
        HandlerRegistry().discover("no_such_package_anywhere")
    with pytest.raises(TypeError):
        HandlerRegistry().discover("")


def test_a_broken_submodule_fails_discovery(make_package: PackageFactory) -> None:
    package = make_package({**bank_modules(), "broken": "import no_such_dependency_xyz\n"})

    with pytest.raises(ImportError, match="no_such_dependency_xyz"):
        HandlerRegistry().discover(package)
