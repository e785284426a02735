"""``SagaContext``: what a step (or an event handler of a saga) gets: the saga id, its data, services."""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Mapping
from typing import Any

from lexigram.contracts.exceptions import ConfigurationError

__all__ = ["SagaContext", "SagaServices"]


class SagaServices:
    """The services given to ``SagaManager(services={...})``, by attribute: ``ctx.services.inventory``."""

    __slots__ = ("_services",)

    def __init__(self, services: Mapping[str, Any] | None = None) -> None:
        self._services = dict(services or {})

    def __getattr__(self, name: str) -> Any:
        try:
            return self._services[name]
        except KeyError:
            known = ", ".join(sorted(self._services)) or "none"
            raise AttributeError(
                f"the saga manager has no service named {name!r} (services: {known}); pass it in "
                "SagaManager(services={...})"
            ) from None

    def __contains__(self, name: object) -> bool:
        return name in self._services

    def get(self, name: str, default: Any = None) -> Any:
        """The service called ``name``, or ``default``."""
        return self._services.get(name, default)

    def __repr__(self) -> str:
        return f"SagaServices({', '.join(sorted(self._services))})"


class SagaContext:
    """The context of one saga instance, handed to each step, compensation and event handler.

    ``data`` is the saga's data (JSON values): steps read it and add to it, and it is saved after
    every step. ``services`` comes from the manager: a dict given there is reachable by attribute,
    any other object is handed over as it is. ``await ctx.dispatch(command)`` sends a command on
    the manager's command bus. An event-driven saga ends its instance with ``complete()`` or
    ``fail(error)``.
    """

    __slots__ = ("_dispatcher", "_outcome", "data", "saga_id", "saga_type", "services", "step")

    def __init__(
        self,
        saga_id: str,
        data: dict[str, Any],
        services: Any,
        saga_type: str = "",
        step: str | None = None,
        dispatcher: Callable[[Any], Awaitable[Any]] | None = None,
    ) -> None:
        self.saga_id = saga_id
        self.data = data
        self.services = services
        self.saga_type = saga_type
        self.step = step
        """The step (or event handler) running now."""
        self._outcome: tuple[bool, str | None] | None = None
        self._dispatcher = dispatcher

    async def dispatch(self, command: Any) -> Any:
        """Dispatch ``command`` on the manager's command bus and return the handler's result."""
        if self._dispatcher is None:
            raise ConfigurationError(
                f"the saga dispatched {type(command).__name__}, but its manager has no command bus; "
                "build it with SagaManager(command_bus=...)"
            )
        return await self._dispatcher(command)

    def complete(self) -> None:
        """Event-driven sagas: this instance is done (COMPLETED once the handler returns)."""
        self._outcome = (True, None)

    def fail(self, error: str) -> None:
        """Event-driven sagas: this instance failed (FAILED with ``error`` once the handler returns)."""
        self._outcome = (False, str(error))

    @property
    def outcome(self) -> tuple[bool, str | None] | None:
        """What ``complete``/``fail`` decided: (succeeded, error), or None while the saga goes on."""
        return self._outcome

    def __repr__(self) -> str:
        return f"SagaContext(saga_id={self.saga_id!r}, saga_type={self.saga_type!r}, data={self.data!r})"
