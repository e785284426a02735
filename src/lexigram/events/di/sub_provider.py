"""The shape of the parts ``EventsProvider`` delegates to (stores, buses, handlers)."""

from __future__ import annotations

from typing import Any, Protocol

from lexigram.di.protocols import ContainerRegistrarProtocol, ContainerResolverProtocol

__all__ = ["EventsSubProvider"]


class EventsSubProvider(Protocol):
    """One part of the events subsystem with its own registration, start, stop and health."""

    @property
    def section(self) -> str:
        """The key of this part's entry in the health report."""
        ...

    async def register(self, container: ContainerRegistrarProtocol) -> None:
        """Build this part's objects and bind them in the container."""
        ...

    async def boot(self, container: ContainerResolverProtocol) -> None:
        """Start this part; every binding of the application exists now."""
        ...

    async def shutdown(self) -> None:
        """Stop this part; also called after a partial boot."""
        ...

    def health(self) -> dict[str, Any]:
        """This part's health report."""
        ...
