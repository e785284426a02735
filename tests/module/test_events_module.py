"""EventsModule turns config and handlers into a booted application with wired buses and stores."""

from __future__ import annotations

import asyncio
import sys
import textwrap
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest

from lexigram import Application
from lexigram.contracts.events import (
    CommandBusProtocol,
    EventBusProtocol,
    EventStoreProtocol,
    QueryBusProtocol,
    SnapshotStoreProtocol,
)
from lexigram.di import ModuleDuplicateError, ResolutionError
from lexigram.di.module import DynamicModule, Module, module
from lexigram.events import (
    AbstractEventStore,
    AbstractSnapshotStore,
    Command,
    CommandBusImpl,
    ConfigurationError,
    DomainEvent,
    DuplicateHandlerError,
    EventBusConfig,
    EventBusImpl,
    EventsConfig,
    EventsModule,
    EventStoreBackend,
    HandlerRegistry,
    InMemoryEventStore,
    InMemorySnapshotStore,
    PostgresEventStoreConfig,
    Query,
    QueryBusImpl,
    RedisEventStoreConfig,
    command_handler,
    event_handler,
)


class OpenAccount(Command):
    owner: str


class GetBalance(Query[int]):
    owner: str


class AccountOpened(DomainEvent):
    owner: str


class Ledger:
    """An application service, provided by a module and injected into handlers."""

    def __init__(self) -> None:
        self.balances: dict[str, int] = {}
        self.opened: list[str] = []


class OpenAccountHandler:
    def __init__(self, ledger: Ledger, events: EventBusProtocol, store: EventStoreProtocol) -> None:
        self.ledger, self.events, self.store = ledger, events, store

    async def handle(self, command: OpenAccount) -> str:
        await self.store.append(f"account-{command.owner}", [AccountOpened(owner=command.owner)])
        self.ledger.balances[command.owner] = 0
        await self.events.publish(AccountOpened(owner=command.owner))
        return command.owner


class GetBalanceHandler:
    def __init__(self, ledger: Ledger) -> None:
        self.ledger = ledger

    async def handle(self, query: GetBalance) -> int:
        return self.ledger.balances[query.owner]


class RecordOpenedAccount:
    def __init__(self, ledger: Ledger) -> None:
        self.ledger = ledger

    async def handle(self, event: AccountOpened) -> None:
        self.ledger.opened.append(event.owner)


def banking_module(events: DynamicModule, *handlers: type) -> type[Module]:
    @module(imports=[events, EventsModule.scope(*handlers)], providers=[Ledger])
    class BankingModule(Module):
        pass

    return BankingModule


async def test_configure_binds_buses_stores_and_config_under_protocols_and_classes() -> None:
    config = EventsConfig(event_bus=EventBusConfig(parallel_dispatch=False))

    async with Application.boot(name="bank", modules=[banking_module(EventsModule.configure(config))]) as app:
        resolve = app.container.resolve
        assert await resolve(EventsConfig) is config
        assert await resolve(CommandBusProtocol) is await resolve(CommandBusImpl)
        assert await resolve(QueryBusProtocol) is await resolve(QueryBusImpl)
        event_bus = await resolve(EventBusImpl)
        assert await resolve(EventBusProtocol) is event_bus
        assert event_bus.config is config.event_bus
        store = await resolve(EventStoreProtocol)
        assert isinstance(store, InMemoryEventStore)
        assert await resolve(AbstractEventStore) is store
        snapshots = await resolve(SnapshotStoreProtocol)
        assert isinstance(snapshots, InMemorySnapshotStore)
        assert await resolve(AbstractSnapshotStore) is snapshots


async def test_scoped_handlers_get_their_dependencies_injected_and_handle_messages() -> None:
    events = EventsModule.configure()
    modules = [banking_module(events, OpenAccountHandler, GetBalanceHandler, RecordOpenedAccount)]

    async with Application.boot(name="bank", modules=modules) as app:
        commands = await app.container.resolve(CommandBusProtocol)
        queries = await app.container.resolve(QueryBusProtocol)
        store = await app.container.resolve(EventStoreProtocol)

        assert await commands.dispatch(OpenAccount(owner="ada")) == "ada"
        assert await queries.execute(GetBalance(owner="ada")) == 0
        assert await store.get_stream_version("account-ada") == 1
        ledger = await app.container.resolve(Ledger)
        handler = await app.container.resolve(OpenAccountHandler)
        assert handler.ledger is ledger  # one instance per app, shared with the module's providers

    assert ledger.opened == ["ada"]  # delivered before the application stopped


async def test_a_handler_arriving_by_several_routes_is_wired_once() -> None:
    received: list[str] = []

    @event_handler
    class CountOpenings:
        async def handle(self, event: AccountOpened) -> None:
            received.append(event.owner)

    @module(
        imports=[
            EventsModule.configure(),
            EventsModule.scope(CountOpenings),
            EventsModule.scope(CountOpenings),
        ]
    )
    class App(Module):
        pass

    async with Application.boot(name="bank", modules=[App]) as app:
        bus = await app.container.resolve(EventBusProtocol)
        await bus.publish(AccountOpened(owner="ada"))
        await bus.flush()

    assert received == ["ada"]


async def test_the_application_config_section_is_used_when_configure_has_none() -> None:
    section = {
        "events": {"event_bus": {"max_concurrent_handlers": 3}, "memory": {"max_events_per_stream": 7}}
    }

    async with Application.boot(name="bank", modules=[EventsModule.configure()], config=section) as app:
        config = await app.container.resolve(EventsConfig)
        assert config.event_bus.max_concurrent_handlers == 3
        assert (await app.container.resolve(EventBusImpl)).config.max_concurrent_handlers == 3

    explicit = EventsModule.configure({"event_bus": {"max_concurrent_handlers": 5}})
    async with Application.boot(name="bank", modules=[explicit], config=section) as app:
        assert (await app.container.resolve(EventsConfig)).event_bus.max_concurrent_handlers == 5


def test_a_bad_config_fails_when_the_module_is_declared() -> None:
    with pytest.raises(ConfigurationError, match="unknown"):
        EventsModule.configure({"event_bus": {"no_such_setting": 1}})
    with pytest.raises(TypeError, match="module paths"):
        EventsModule.configure(handler_modules=[OpenAccountHandler])  # type: ignore[list-item]
    with pytest.raises(TypeError, match="handler classes"):
        EventsModule.scope(lambda event: None)  # type: ignore[arg-type]


async def test_importing_the_bare_events_module_class_points_to_configure() -> None:
    @module(imports=[EventsModule])
    class App(Module):
        pass

    with pytest.raises(ConfigurationError, match=r"EventsModule.configure\(\)"):
        async with Application.boot(name="bank", modules=[App]):
            pass


async def test_stub_is_always_in_memory() -> None:
    postgres = EventsConfig(
        event_store_backend=EventStoreBackend.POSTGRES,
        postgres=PostgresEventStoreConfig(dsn="postgresql://localhost/bank"),
    )

    async with Application.boot(name="test", modules=[EventsModule.stub(postgres)]) as app:
        config = await app.container.resolve(EventsConfig)
        assert config.event_store_backend is EventStoreBackend.MEMORY
        assert isinstance(await app.container.resolve(EventStoreProtocol), InMemoryEventStore)


@pytest.mark.parametrize(
    ("config", "message"),
    [
        (EventsConfig(event_store_backend=EventStoreBackend.POSTGRES), "the 'postgres' section is missing"),
        (EventsConfig(event_store_backend=EventStoreBackend.SQLITE), "the 'sqlite' section is missing"),
        (
            EventsConfig(
                event_store_backend=EventStoreBackend.REDIS,
                redis=RedisEventStoreConfig(url="redis://127.0.0.1:1/0"),
                outbox_enabled=True,
            ),
            "REDIS event store has no transactional outbox",
        ),
    ],
)
async def test_a_config_this_version_cannot_run_fails_the_boot(config: EventsConfig, message: str) -> None:
    before = asyncio.all_tasks()

    with pytest.raises(ConfigurationError, match=message):
        async with Application.boot(name="bank", modules=[EventsModule.configure(config)]):
            pytest.fail("the body must not run")

    assert asyncio.all_tasks() == before


async def test_two_handlers_for_one_command_fail_the_boot() -> None:
    class OtherOpenAccountHandler:
        async def handle(self, command: OpenAccount) -> None: ...

    modules = [banking_module(EventsModule.configure(), OpenAccountHandler, OtherOpenAccountHandler)]

    with pytest.raises(DuplicateHandlerError, match="OpenAccount"):
        async with Application.boot(name="bank", modules=modules):
            pass


async def test_a_handler_dependency_nobody_provides_fails_the_boot_naming_class_and_parameter() -> None:
    @module(imports=[EventsModule.configure(), EventsModule.scope(GetBalanceHandler)])  # no Ledger provider
    class App(Module):
        pass

    with pytest.raises(ResolutionError, match=r"GetBalanceHandler: parameter 'ledger'"):
        async with Application.boot(name="bank", modules=[App]):
            pass


async def test_configure_and_stub_cannot_both_be_imported() -> None:
    @module(imports=[EventsModule.configure(), EventsModule.stub()])
    class App(Module):
        pass

    with pytest.raises(ModuleDuplicateError, match="EventsModule is configured twice"):
        async with Application.boot(name="bank", modules=[App]):
            pass


async def test_decorated_handlers_are_wired_from_the_global_registry() -> None:
    @command_handler(OpenAccount)
    async def open_account(command: OpenAccount) -> str:
        return "function " + command.owner

    async with Application.boot(name="bank", modules=[EventsModule.configure()]) as app:
        bus = await app.container.resolve(CommandBusProtocol)
        assert await bus.dispatch(OpenAccount(owner="ada")) == "function ada"
        registry = await app.container.resolve(HandlerRegistry)
        assert registry.get_command_handlers() == {OpenAccount: open_account}


HANDLERS_MODULE = """
from lexigram.events import EventHandlerProtocol
from tests_support_messages import AccountOpened

SEEN = []

class Audit(EventHandlerProtocol[AccountOpened]):
    async def handle(self, event: AccountOpened) -> None:
        SEEN.append(event.owner)
"""


@pytest.fixture
def handler_package(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[str]:
    """A throwaway package whose handler subscribes to this file's AccountOpened."""
    package = f"bank_handlers_{uuid.uuid4().hex[:8]}"
    (tmp_path / package).mkdir()
    (tmp_path / package / "__init__.py").write_text("")
    (tmp_path / package / "audit.py").write_text(textwrap.dedent(HANDLERS_MODULE))
    monkeypatch.syspath_prepend(str(tmp_path))
    monkeypatch.setitem(sys.modules, "tests_support_messages", sys.modules[__name__])
    yield package
    for name in [name for name in sys.modules if name.startswith(package)]:
        del sys.modules[name]


async def test_handler_modules_are_discovered_and_wired(handler_package: str) -> None:
    events = EventsModule.configure(handler_modules=[handler_package])

    async with Application.boot(name="bank", modules=[events]) as app:
        bus = await app.container.resolve(EventBusProtocol)
        await bus.publish(AccountOpened(owner="grace"))

    assert sys.modules[f"{handler_package}.audit"].SEEN == ["grace"]


async def test_a_missing_handler_module_fails_the_boot() -> None:
    with pytest.raises(ImportError):
        async with Application.boot(
            name="bank", modules=[EventsModule.configure(handler_modules=["nowhere_xyz"])]
        ):
            pass


async def test_leaving_the_application_drains_the_bus_and_leaves_no_task_running() -> None:
    handled: list[str] = []

    @event_handler
    async def slow_audit(event: AccountOpened) -> None:
        for _ in range(3):
            await asyncio.sleep(0)
        handled.append(event.owner)

    before = asyncio.all_tasks()
    async with Application.boot(name="bank", modules=[EventsModule.configure()]) as app:
        bus = await app.container.resolve(EventBusProtocol)
        for owner in ("ada", "grace", "linus"):
            await bus.publish(AccountOpened(owner=owner))
        event_bus = await app.container.resolve(EventBusImpl)

    assert handled == ["ada", "grace", "linus"]
    assert event_bus.is_closed
    assert asyncio.all_tasks() == before


async def test_health_check_reports_stores_buses_and_handlers() -> None:
    async with Application.boot(name="bank", modules=[EventsModule.configure()]) as app:
        report = (await app.health_check())["EventsProvider"]

    assert report["status"] == "healthy"
    assert report["stores"]["backend"] == "memory"
    assert report["stores"]["event_store"] == "InMemoryEventStore"
    assert report["buses"]["event_bus"] == "up"
    assert report["handlers"]["status"] == "wired"
