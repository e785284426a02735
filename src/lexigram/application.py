"""``Application``: the composition root that turns modules and config into a running app.

::

    @module(imports=[EventsModule.configure()], providers=[OrderRepository])
    class AppModule(Module):
        pass

    async with Application.boot(name="shop", modules=[AppModule], config={"events": {...}}) as app:
        bus = await app.container.resolve(EventBusProtocol)

Starting compiles the module graph, registers every provided class in a fresh container, lets each
lifecycle provider register its bindings, then boots the providers in priority order. Stopping
shuts them down in reverse order. If a provider fails to boot, the providers already started (and
the failing one, which must tolerate a partial boot) are shut down and the error is re-raised.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable, Mapping
from types import MappingProxyType, TracebackType
from typing import Any, Literal

from lexigram.contracts.exceptions import ConfigurationError
from lexigram.di.container import Container
from lexigram.di.errors import LifecycleError, ProviderFailure, ShutdownError
from lexigram.di.graph import ModuleGraph, compile_modules
from lexigram.di.module import ModuleRef
from lexigram.di.provider import Provider

__all__ = ["Application"]

logger = logging.getLogger("lexigram.application")

_State = Literal["created", "starting", "running", "stopped"]


def _app_config(config: Mapping[str, Any] | None) -> Mapping[str, Any]:
    if config is None:
        return MappingProxyType({})
    if not isinstance(config, Mapping):
        raise ConfigurationError(
            f"the application config must be a mapping of sections (such as {{'events': {{...}}}}), "
            f"got {type(config).__name__}"
        )
    return MappingProxyType(dict(config))


class Application:
    """A booted set of modules: a container holding their objects and the lifecycle providers.

    Use ``Application.boot(...)`` with ``async with``, or call ``start()`` and ``stop()`` yourself.
    An application runs once: after ``stop()`` build a new one.
    """

    def __init__(
        self,
        name: str,
        modules: Iterable[ModuleRef] = (),
        providers: Iterable[Any] | None = None,
        config: Mapping[str, Any] | None = None,
    ) -> None:
        self.name = name
        self.config = _app_config(config)
        self._modules = tuple(modules)
        self._providers = tuple(providers or ())
        self._container = Container()
        self._graph: ModuleGraph | None = None
        self._started: list[Provider] = []
        self._state: _State = "created"

    @classmethod
    def boot(
        cls,
        name: str,
        modules: Iterable[ModuleRef] = (),
        providers: Iterable[Any] | None = None,
        config: Mapping[str, Any] | None = None,
    ) -> Application:
        """Build an application to run with ``async with``: started on entry, stopped on exit."""
        return cls(name=name, modules=modules, providers=providers, config=config)

    @property
    def container(self) -> Container:
        """The container holding the application's objects."""
        return self._container

    @property
    def graph(self) -> ModuleGraph:
        """The compiled module graph (available once started)."""
        if self._graph is None:
            raise LifecycleError(f"application '{self.name}' has not been started")
        return self._graph

    @property
    def is_running(self) -> bool:
        """True between a successful ``start()`` and ``stop()``."""
        return self._state == "running"

    async def start(self) -> Application:
        """Compile the modules, register everything and boot the lifecycle providers."""
        if self._state != "created":
            raise LifecycleError(f"application '{self.name}' was already started; build a new one")
        self._state = "starting"
        try:
            graph = compile_modules(self._modules, self._providers)
            self._graph = graph
            container = self._container
            container.register_instance(Application, self)
            container.register_instance(ModuleGraph, graph)
            for cls in graph.classes:
                container.register_class(cls)
            providers = sorted(graph.lifecycle_providers, key=lambda provider: provider.priority)
            for provider in providers:
                provider.apply_app_config(self.config)
            for provider in providers:
                await provider.register(container)
            for provider in providers:
                self._started.append(provider)
                await provider.boot(container)
        except BaseException as exc:
            failures = await self._shut_down_started()
            for failure in failures:
                exc.add_note(f"{failure.provider} also failed to shut down: {failure.error!r}")
            self._state = "stopped"
            raise
        self._state = "running"
        logger.debug("application '%s' started with %d providers", self.name, len(self._started))
        return self

    async def stop(self) -> None:
        """Shut the lifecycle providers down in reverse boot order (idempotent).

        Every provider is shut down even when some fail; the failures are then raised together as
        a ``ShutdownError``.
        """
        if self._state in ("created", "stopped"):
            self._state = "stopped"
            return
        self._state = "stopped"
        failures = await self._shut_down_started()
        if failures:
            raise ShutdownError(failures)

    async def health_check(self) -> dict[str, Any]:
        """Each started provider's health report, by provider name."""
        return {provider.name: await provider.health_check() for provider in self._started}

    async def _shut_down_started(self) -> list[ProviderFailure]:
        failures: list[ProviderFailure] = []
        while self._started:
            provider = self._started.pop()
            try:
                await provider.shutdown()
            except Exception as exc:  # the shutdown boundary: record it and go on with the others
                logger.exception("provider %s failed to shut down", provider.name)
                failures.append(ProviderFailure(provider.name, "shutdown", exc))
        return failures

    async def __aenter__(self) -> Application:
        return await self.start()

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        try:
            await self.stop()
        except ShutdownError as shutdown_error:
            if exc is None:
                raise
            exc.add_note(str(shutdown_error))
