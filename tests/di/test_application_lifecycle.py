"""An application compiles its modules, boots lifecycle providers in order and stops them in reverse."""

from __future__ import annotations

import asyncio
from collections.abc import Mapping
from typing import Any

import pytest

from lexigram import Application
from lexigram.contracts.exceptions import ConfigurationError
from lexigram.di import (
    DynamicModule,
    LifecycleError,
    Module,
    ModuleGraph,
    Provider,
    ProviderPriority,
    ShutdownError,
    module,
)
from lexigram.di.protocols import ContainerRegistrarProtocol, ContainerResolverProtocol


class Journal:
    """What the providers did, in order."""

    def __init__(self) -> None:
        self.entries: list[str] = []


class Recording(Provider):
    """A provider that records each lifecycle step in a shared journal."""

    def __init__(self, journal: Journal, label: str, priority: int, fail_in: str | None = None) -> None:
        self.journal, self.label, self.fail_in = journal, label, fail_in
        self.priority = priority

    def _step(self, phase: str) -> None:
        self.journal.entries.append(f"{phase} {self.label}")
        if self.fail_in == phase:
            raise RuntimeError(f"{self.label} cannot {phase}")

    async def register(self, container: ContainerRegistrarProtocol) -> None:
        self._step("register")

    async def boot(self, container: ContainerResolverProtocol) -> None:
        self._step("boot")

    async def shutdown(self) -> None:
        self._step("shutdown")


class Clock:
    pass


class Ledger:
    def __init__(self, clock: Clock) -> None:
        self.clock = clock


@module(providers=[Clock, Ledger])
class LedgerModule(Module):
    pass


async def test_module_providers_are_app_wide_singletons_injected_into_each_other() -> None:
    async with Application.boot(name="ledger", modules=[LedgerModule]) as app:
        ledger = await app.container.resolve(Ledger)

        assert ledger is await app.container.resolve(Ledger)
        assert ledger.clock is await app.container.resolve(Clock)
        assert await app.container.resolve(Application) is app
        assert (await app.container.resolve(ModuleGraph)).classes == (Clock, Ledger)
        assert app.name == "ledger"
        assert app.is_running
    assert not app.is_running


async def test_providers_boot_by_priority_and_shut_down_in_reverse() -> None:
    journal = Journal()
    database = Recording(journal, "database", ProviderPriority.DATABASE)
    events = Recording(journal, "events", ProviderPriority.INFRASTRUCTURE)
    web = Recording(journal, "web", ProviderPriority.APPLICATION)

    async with Application.boot(name="app", modules=[LedgerModule], providers=[web, events, database]):
        assert journal.entries == [
            "register database", "register events", "register web",
            "boot database", "boot events", "boot web",
        ]  # fmt: skip
        journal.entries.clear()

    assert journal.entries == ["shutdown web", "shutdown events", "shutdown database"]


async def test_a_failed_boot_shuts_down_what_started_and_re_raises() -> None:
    journal = Journal()
    providers = [
        Recording(journal, "database", 1),
        Recording(journal, "events", 2, fail_in="boot"),
        Recording(journal, "web", 3),
    ]

    with pytest.raises(RuntimeError, match="events cannot boot"):
        async with Application.boot(name="app", providers=providers):
            pytest.fail("the body must not run")

    assert journal.entries[3:] == ["boot database", "boot events", "shutdown events", "shutdown database"]


async def test_every_provider_is_shut_down_even_when_one_fails() -> None:
    journal = Journal()
    providers = [Recording(journal, "database", 1), Recording(journal, "events", 2, fail_in="shutdown")]

    with pytest.raises(ShutdownError) as caught:
        async with Application.boot(name="app", providers=providers):
            journal.entries.clear()

    assert journal.entries == ["shutdown events", "shutdown database"]
    [failure] = caught.value.failures
    assert failure.provider == "Recording"
    assert failure.phase == "shutdown"
    assert "events cannot shutdown" in str(caught.value)


async def test_an_error_in_the_body_wins_over_a_failed_shutdown() -> None:
    journal = Journal()
    providers = [Recording(journal, "events", 2, fail_in="shutdown")]

    with pytest.raises(KeyError) as caught:
        async with Application.boot(name="app", providers=providers):
            raise KeyError("order-1")

    assert any("events cannot shutdown" in note for note in caught.value.__notes__)


class ConfiguredProvider(Provider):
    config_key = "ledger"

    def __init__(self) -> None:
        self.section: Any = None

    def apply_app_config(self, app_config: Mapping[str, Any]) -> None:
        self.section = app_config.get(self.config_key)

    async def health_check(self) -> dict[str, Any]:
        return {"status": "healthy", "section": self.section}


async def test_providers_receive_the_application_config() -> None:
    provider = ConfiguredProvider()

    async with Application.boot(
        name="app", providers=[provider], config={"ledger": {"currency": "EUR"}}
    ) as app:
        assert provider.section == {"currency": "EUR"}
        assert app.config["ledger"] == {"currency": "EUR"}
        with pytest.raises(TypeError):
            app.config["other"] = {}  # type: ignore[index]
        assert await app.health_check() == {
            "ConfiguredProvider": {"status": "healthy", "section": {"currency": "EUR"}}
        }


def test_the_application_config_must_be_a_mapping_of_sections() -> None:
    with pytest.raises(ConfigurationError, match="mapping of sections"):
        Application.boot(name="app", config=["events"])  # type: ignore[arg-type]


async def test_start_and_stop_can_be_called_explicitly_and_an_application_runs_once() -> None:
    app = Application(name="app", modules=[LedgerModule])
    await app.stop()  # stopping an application that never started does nothing

    app = Application(name="app", modules=[LedgerModule])
    assert await app.start() is app
    with pytest.raises(LifecycleError, match="already started"):
        await app.start()
    await app.stop()
    await app.stop()  # idempotent
    with pytest.raises(LifecycleError):
        await app.start()


async def test_a_dynamic_module_gets_a_fresh_lifecycle_provider_in_each_application() -> None:
    built: list[Provider] = []

    def make_provider() -> Provider:
        built.append(Provider())
        return built[-1]

    shared = DynamicModule(module=LedgerModule, lifecycle=make_provider, unique=True)
    for _ in range(2):
        async with Application.boot(name="app", modules=[shared]):
            pass

    assert len(built) == 2
    assert built[0] is not built[1]


async def test_a_module_graph_error_fails_the_start_before_anything_boots() -> None:
    class NotAModule(Module):
        pass

    with pytest.raises(ConfigurationError, match="has no module metadata"):
        async with Application.boot(name="app", modules=[NotAModule]):
            pass


async def test_leaving_the_application_leaves_no_task_running() -> None:
    class Ticker(Provider):
        async def boot(self, container: ContainerResolverProtocol) -> None:
            self.task = asyncio.create_task(asyncio.sleep(3600))

        async def shutdown(self) -> None:
            self.task.cancel()
            await asyncio.gather(self.task, return_exceptions=True)

    before = asyncio.all_tasks()
    async with Application.boot(name="app", providers=[Ticker]):
        assert len(asyncio.all_tasks()) == len(before) + 1
    assert asyncio.all_tasks() == before
