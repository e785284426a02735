"""Repository base classes: collection-like access to aggregates, whatever the persistence."""

from __future__ import annotations

from abc import ABC, abstractmethod
from typing import Any, Generic, TypeVar

__all__ = ["AbstractReadOnlyRepository", "AbstractRepository"]

T = TypeVar("T")


class AbstractRepository(ABC, Generic[T]):
    """Loads and saves aggregates; implement ``get`` and ``save``.

    Example::

        class OrderRepository(AbstractRepository[Order]):
            async def get(self, id: UUID) -> Order | None: ...
            async def save(self, aggregate: Order) -> None: ...

    ``exists`` is built on ``get``; override it when the backend can answer more cheaply.
    """

    @abstractmethod
    async def get(self, aggregate_id: Any) -> T | None:
        """Return the aggregate with this id, or None."""

    @abstractmethod
    async def save(self, aggregate: T) -> None:
        """Persist the aggregate's pending changes and clear them."""

    async def exists(self, aggregate_id: Any) -> bool:
        """Return True when an aggregate with this id exists."""
        return await self.get(aggregate_id) is not None


class AbstractReadOnlyRepository(ABC, Generic[T]):
    """Query-side access to read models (CQRS); implement ``get`` and ``get_all``."""

    @abstractmethod
    async def get(self, aggregate_id: Any) -> T | None:
        """Return the item with this id, or None."""

    @abstractmethod
    async def get_all(self, limit: int = 100, offset: int = 0) -> list[T]:
        """Return a page of items: at most ``limit``, after skipping ``offset``."""

    async def exists(self, aggregate_id: Any) -> bool:
        """Return True when an item with this id exists."""
        return await self.get(aggregate_id) is not None
