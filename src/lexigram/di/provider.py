"""Lifecycle providers: the parts of an application that register, start and stop infrastructure."""

from __future__ import annotations

import enum
from collections.abc import Mapping
from typing import Any

from lexigram.di.protocols import ContainerRegistrarProtocol, ContainerResolverProtocol

__all__ = ["Provider", "ProviderPriority"]


class ProviderPriority(enum.IntEnum):
    """When a provider boots: lower values boot first and shut down last."""

    CORE = 0
    DATABASE = 100
    CACHE = 200
    INFRASTRUCTURE = 300
    APPLICATION = 400


class Provider:
    """Base class of lifecycle providers.

    The application calls, in this order: ``apply_app_config`` (with the application config),
    ``register`` on every provider, ``boot`` on every provider in ``priority`` order, and at the end
    ``shutdown`` in reverse order. Every method has a do-nothing default; override what you need::

        class CacheProvider(Provider):
            priority = ProviderPriority.CACHE

            async def register(self, container):
                container.register_instance(Cache, self.cache)

            async def shutdown(self):
                await self.cache.close()
    """

    priority: int = ProviderPriority.APPLICATION
    config_key: str | None = None

    @property
    def name(self) -> str:
        """The provider's name in logs and health reports (its class name)."""
        return type(self).__name__

    def apply_app_config(self, app_config: Mapping[str, Any]) -> None:
        """Receive the application config (a mapping of sections) before ``register``."""

    async def register(self, container: ContainerRegistrarProtocol) -> None:
        """Add this provider's bindings to the container; start nothing yet."""

    async def boot(self, container: ContainerResolverProtocol) -> None:
        """Start what this provider runs (connections, tasks); every binding now exists."""

    async def shutdown(self) -> None:
        """Stop what ``boot`` started. Also called after a failed ``boot``, so tolerate partial state."""

    async def health_check(self) -> dict[str, Any]:
        """Report this provider's health; ``{"status": "healthy"}`` by default."""
        return {"status": "healthy"}
