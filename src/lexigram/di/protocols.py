"""The two faces of the container that lifecycle providers see: registering and resolving."""

from __future__ import annotations

from collections.abc import Callable, Hashable
from typing import Any, Protocol, TypeVar, overload

__all__ = ["ContainerRegistrarProtocol", "ContainerResolverProtocol"]

T = TypeVar("T")


class ContainerRegistrarProtocol(Protocol):
    """What a provider may do while the application registers: add bindings."""

    def register_instance(self, token: Hashable, instance: Any, *, replace: bool = False) -> None:
        """Provide ``instance`` itself for ``token``."""
        ...

    def register_class(self, token: Hashable, cls: type | None = None, *, replace: bool = False) -> None:
        """Provide a singleton of ``cls`` (``token`` itself when omitted), built on first resolve."""
        ...

    def register_factory(
        self,
        token: Hashable,
        factory: Callable[..., Any],
        *,
        singleton: bool = True,
        replace: bool = False,
    ) -> None:
        """Provide the result of ``factory`` (sync or async)."""
        ...

    def has(self, token: Any) -> bool:
        """True when ``token`` is registered."""
        ...


class ContainerResolverProtocol(Protocol):
    """What a provider may do while the application boots: look things up."""

    @overload
    async def resolve(self, token: type[T]) -> T: ...
    @overload
    async def resolve(self, token: Hashable) -> Any: ...
    async def resolve(self, token: Any) -> Any:
        """Return the object registered for ``token``, building it if needed."""
        ...

    def has(self, token: Any) -> bool:
        """True when ``token`` is registered."""
        ...
