"""``EventsModule``: the events subsystem as a module of an application.

::

    EventsModule.configure()                                   # in-memory defaults
    EventsModule.configure(EventsConfig(event_store_backend=BACKEND), handler_modules=["app.handlers"])
    EventsModule.scope(CreateOrderHandler, GetOrderHandler)    # a feature module's handlers
    EventsModule.stub()                                        # in-memory, for tests

``configure()`` and ``stub()`` bring the stores, the buses and handler wiring (one per
application); any number of ``scope()`` modules may sit beside them in the same graph.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from functools import partial
from typing import Any

from lexigram.di.module import DynamicModule, Module
from lexigram.events.config import EventsConfig
from lexigram.events.di.handlers import SCOPED_HANDLERS
from lexigram.events.di.projections import SCOPED_PROJECTIONS
from lexigram.events.di.provider import EventsProvider
from lexigram.events.di.sagas import SCOPED_SAGA_SERVICES, SCOPED_SAGAS
from lexigram.events.sagas.base import SagaBase
from lexigram.events.types import EventStoreBackend

__all__ = ["EventsModule"]


class EventsModule(Module):
    """CQRS and event sourcing for an application: buses, event and snapshot stores, handlers.

    Import one of its dynamic modules (``configure()``, ``scope()``, ``stub()``), not the class.
    """

    @classmethod
    def configure(
        cls,
        config: EventsConfig | Mapping[str, Any] | None = None,
        handler_modules: Sequence[str] | None = None,
        *,
        schema_evolution: Any = None,
    ) -> DynamicModule:
        """The events subsystem with its stores, buses and handler wiring (one per application).

        ``config`` is an ``EventsConfig`` or a mapping holding the ``events`` section; with None the
        application config's ``events`` section is used, or else the in-memory defaults. Handlers in
        ``handler_modules`` (module paths, packages scanned recursively) are wired too.
        ``schema_evolution`` (a ``SchemaEvolution``) upcasts old event shapes whenever the
        application's event store reads; it is also bound in the container.
        """
        upcast = getattr(schema_evolution, "upcast", None)
        if schema_evolution is not None and not callable(upcast):
            raise TypeError(
                "schema_evolution must have an upcast(data) method (a SchemaEvolution), got "
                f"{type(schema_evolution).__name__}"
            )
        checked = None if config is None else EventsConfig.coerce(config)
        modules = list(handler_modules or ())
        if any(not isinstance(path, str) for path in modules):
            raise TypeError(f"handler_modules must be module paths (strings), got {handler_modules!r}")
        return DynamicModule(
            module=cls,
            lifecycle=partial(EventsProvider, checked, modules, schema_evolution=schema_evolution),
            unique=True,
        )

    @classmethod
    def scope(cls, *handlers: type) -> DynamicModule:
        """Add a feature's handler classes to the application that imports ``configure()``.

        The classes become app-wide providers (their ``__init__`` parameters are injected) and are
        wired to the buses of the configured events module. They may be decorated, subclass a
        handler base class, or be plain classes with a typed ``handle``. Any number of scopes
        coexist with ``configure()`` in one graph.
        """
        for handler in handlers:
            if not isinstance(handler, type):
                raise TypeError(f"EventsModule.scope takes handler classes, got {handler!r}")
        return DynamicModule(module=cls, providers=handlers, contributions={SCOPED_HANDLERS: handlers})

    @classmethod
    def projections(cls, *projections: type) -> DynamicModule:
        """Add projection classes to the application that imports ``configure()``.

        The container builds each class (its ``__init__`` parameters are injected); the
        application's ``ProjectionManager`` registers them at boot and runs them with the app.
        """
        for projection in projections:
            if not isinstance(projection, type):
                raise TypeError(f"EventsModule.projections takes projection classes, got {projection!r}")
        return DynamicModule(
            module=cls, providers=projections, contributions={SCOPED_PROJECTIONS: projections}
        )

    @classmethod
    def sagas(cls, *sagas: type, services: Mapping[str, type] | None = None) -> DynamicModule:
        """Add saga classes to the application that imports ``configure()``.

        ``SagaBase`` classes are registered with the application's ``SagaManager`` as they are
        (``manager.start(Saga, data=...)`` runs them); event-driven saga classes are built by the
        container (their ``__init__`` parameters are injected) and receive the events they handle.
        ``services`` names the classes steps find in ``ctx.services``
        (``services={"inventory": InventoryClient}`` gives ``ctx.services.inventory``); the
        container builds them, so list them among a module's providers.
        """
        for saga in sagas:
            if not isinstance(saga, type):
                raise TypeError(f"EventsModule.sagas takes saga classes, got {saga!r}")
        named = dict(services or {})
        for name, token in named.items():
            if not isinstance(name, str) or not name.isidentifier():
                raise TypeError(f"EventsModule.sagas: a service name must be an identifier, got {name!r}")
            if not isinstance(token, type):
                raise TypeError(f"EventsModule.sagas: service {name!r} must be a class, got {token!r}")
        built = tuple(saga for saga in sagas if not issubclass(saga, SagaBase))
        contributions: dict[str, Sequence[Any]] = {SCOPED_SAGAS: sagas}
        if named:
            contributions[SCOPED_SAGA_SERVICES] = [named]
        return DynamicModule(module=cls, providers=built, contributions=contributions)

    @classmethod
    def stub(cls, config: EventsConfig | Mapping[str, Any] | None = None) -> DynamicModule:
        """The events subsystem for tests: always the in-memory store, whatever ``config`` says."""
        base = EventsConfig.coerce(config)
        in_memory = base.model_copy(update={"event_store_backend": EventStoreBackend.MEMORY})
        return cls.configure(in_memory)
