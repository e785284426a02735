"""``EventsProvider``: the lifecycle provider of the events subsystem.

It is a thin orchestrator over sub-providers, each with one job:

* ``StoreSubProvider`` builds the event and snapshot stores of the configured backend;
* ``BusSubProvider`` builds the command, query and event buses;
* ``HandlerSubProvider`` gathers the handlers and wires them to the buses.

They register in that order, boot in that order and shut down in reverse, so the event bus is
drained before the stores close. ``OutboxSubProvider`` runs the outbox relay (when
``outbox_enabled``) after the handlers, and stops it before the bus drains.
``ProjectionSubProvider`` then starts the projections once
everything else runs, and ``SagaSubProvider`` comes last: it resumes unfinished sagas and is the
first to stop. A part only has to satisfy ``EventsSubProvider`` and be added in ``_build_parts``.
"""

from __future__ import annotations

from collections.abc import Hashable, Mapping, Sequence
from contextlib import AsyncExitStack
from typing import Any, cast

from lexigram.contracts.events import EventStoreProtocol, SnapshotStoreProtocol
from lexigram.contracts.exceptions import ConfigurationError
from lexigram.di.errors import LifecycleError
from lexigram.di.protocols import ContainerRegistrarProtocol, ContainerResolverProtocol
from lexigram.di.provider import Provider, ProviderPriority
from lexigram.events.config import EventsConfig
from lexigram.events.di.buses import BusSubProvider
from lexigram.events.di.handlers import HandlerSubProvider
from lexigram.events.di.outbox import OUTBOX_BACKENDS, OutboxSubProvider
from lexigram.events.di.projections import ProjectionSubProvider
from lexigram.events.di.sagas import SagaSubProvider
from lexigram.events.di.stores import StoreSubProvider
from lexigram.events.di.sub_provider import EventsSubProvider
from lexigram.events.repository.factory import RepositoryFactory
from lexigram.events.snapshots.manager import SnapshotManager
from lexigram.events.types import EventStoreBackend

__all__ = ["EventsProvider"]


def _snapshot_manager(
    event_store: EventStoreProtocol, snapshot_store: SnapshotStoreProtocol, config: EventsConfig
) -> SnapshotManager:
    """The app's ``SnapshotManager``, following the ``snapshots`` config."""
    return SnapshotManager(event_store, snapshot_store, config=config.snapshots)


def check_config(config: EventsConfig) -> None:
    """Raise ``ConfigurationError`` for a config this version cannot run."""
    problems = config.validate_backend_config()
    if problems:
        raise ConfigurationError("invalid events config: " + "; ".join(problems))
    if config.encryption.enabled and config.event_store_backend in (
        EventStoreBackend.REDIS,
        EventStoreBackend.MONGODB,
    ):
        raise ConfigurationError(
            f"encryption.enabled is set, but the {config.event_store_backend.name} backend does not "
            "encrypt yet; use the SQLITE or POSTGRES backend, or build the store yourself with "
            "event_serializer=EncryptedEventSerializer(...)"
        )
    if config.outbox_enabled and config.event_store_backend not in OUTBOX_BACKENDS:
        raise ConfigurationError(
            f"outbox_enabled is set, but the {config.event_store_backend.name} event store has no "
            "transactional outbox; use the MEMORY, SQLITE or POSTGRES backend, or set outbox_enabled "
            "to false (the repository then publishes events after each append)"
        )


class EventsProvider(Provider):
    """Registers, starts and stops the events subsystem: stores, buses and handlers.

    ``config`` is an ``EventsConfig``, a mapping holding the ``events`` section, or None for the
    defaults (in-memory store); without one, the application config's ``events`` section is used.
    ``handler_modules`` are module paths whose handlers are discovered and wired;
    ``schema_evolution`` (a ``SchemaEvolution``) upcasts what the application's stores read.
    """

    config_key = "events"
    priority = ProviderPriority.INFRASTRUCTURE

    def __init__(
        self,
        config: EventsConfig | Mapping[str, Any] | None = None,
        handler_modules: Sequence[str] | None = None,
        *,
        schema_evolution: Any = None,
    ) -> None:
        self._config = EventsConfig.coerce(config)
        self._schema_evolution = schema_evolution
        self._explicit_config = config is not None
        self._handler_modules = tuple(handler_modules or ())
        self._parts: tuple[EventsSubProvider, ...] = ()
        self._shutdown_stack = AsyncExitStack()
        self._state = "created"

    @classmethod
    def from_config(cls, config: EventsConfig | Mapping[str, Any] | None, **context: Any) -> EventsProvider:
        """Create a provider from config; ``handler_modules`` may come in ``context``."""
        return cls(
            config,
            handler_modules=context.get("handler_modules"),
            schema_evolution=context.get("schema_evolution"),
        )

    @property
    def config(self) -> EventsConfig:
        """The events config this provider runs with."""
        return self._config

    @config.setter
    def config(self, value: EventsConfig | Mapping[str, Any]) -> None:
        if self._state != "created":
            raise LifecycleError("the events config cannot change once the provider has registered")
        self._config = EventsConfig.coerce(value)
        self._explicit_config = True

    def apply_app_config(self, app_config: Mapping[str, Any]) -> None:
        """Use the application config's ``events`` section unless a config was given explicitly."""
        if not self._explicit_config and self.config_key in app_config:
            self.config = app_config[self.config_key]

    def _build_parts(self) -> tuple[EventsSubProvider, ...]:
        stores = StoreSubProvider(self._config, self._schema_evolution)
        return (
            stores,
            BusSubProvider(self._config, stores),
            HandlerSubProvider(self._handler_modules),
            OutboxSubProvider(self._config, stores),
            ProjectionSubProvider(self._config, stores),
            SagaSubProvider(self._config, stores),
        )

    async def register(self, container: ContainerRegistrarProtocol) -> None:
        """Check the config, then register the config, stores, buses and handler classes."""
        if self._state not in ("created", "shut down"):
            raise LifecycleError("this EventsProvider is already registered; build a new one per application")
        check_config(self._config)
        self._state = "registered"
        self._parts = self._build_parts()
        container.register_instance(EventsConfig, self._config)
        if self._schema_evolution is not None:
            evolution_type = cast("Hashable", type(self._schema_evolution))
            container.register_instance(evolution_type, self._schema_evolution)
        for part in self._parts:
            await part.register(container)
            self._shutdown_stack.push_async_callback(part.shutdown)
        container.register_class(RepositoryFactory)
        container.register_factory(SnapshotManager, _snapshot_manager)

    async def boot(self, container: ContainerResolverProtocol) -> None:
        """Connect the stores, attach the optional tracer and wire the handlers to the buses."""
        if self._state != "registered":
            raise LifecycleError("register the EventsProvider before booting it")
        for part in self._parts:
            await part.boot(container)
        self._state = "running"

    async def shutdown(self) -> None:
        """Drain and close the event bus, then close the stores (idempotent)."""
        try:
            await self._shutdown_stack.aclose()
        finally:
            if self._state != "created":
                self._state = "shut down"

    async def health_check(self) -> dict[str, Any]:
        """The overall status and a report for each part (stores, buses, handlers)."""
        report: dict[str, Any] = {"status": "healthy" if self._state == "running" else self._state}
        for part in self._parts:
            report[part.section] = part.health()
        return report
