"""Repository contracts for the query and command sides."""

from __future__ import annotations

import builtins
from typing import Any, Protocol, TypeVar

__all__ = ["ReadOnlyRepositoryProtocol", "RepositoryProtocol", "SpecificationProtocol"]

T = TypeVar("T")
T_contra = TypeVar("T_contra", contravariant=True)


class SpecificationProtocol(Protocol[T_contra]):
    """A business rule an entity satisfies or not."""

    def is_satisfied_by(self, candidate: T_contra) -> bool:
        """Return True when ``candidate`` satisfies the rule."""
        ...


class ReadOnlyRepositoryProtocol(Protocol[T]):
    """Query-side access to entities."""

    async def get(self, item_id: str) -> T | None:
        """Return the entity with this id, or None."""
        ...

    async def list(self, skip: int = 0, limit: int = 100, **filters: Any) -> list[T]:
        """Return a page of entities matching the filters."""
        ...

    async def find_by_spec(self, spec: SpecificationProtocol[T]) -> builtins.list[T]:
        """Return the entities that satisfy a specification."""
        ...

    async def count(self, **filters: Any) -> int:
        """Count the entities matching the filters."""
        ...


class RepositoryProtocol(ReadOnlyRepositoryProtocol[T], Protocol[T]):
    """Full access to entities: the read operations plus writes."""

    async def save(self, entity: T) -> T:
        """Create or update an entity."""
        ...

    async def delete(self, item_id: str) -> bool:
        """Delete an entity; return False when it did not exist."""
        ...

    async def save_many(self, entities: builtins.list[T]) -> builtins.list[T]:
        """Save several entities in one operation."""
        ...

    async def delete_many(self, item_ids: builtins.list[str]) -> int:
        """Delete several entities; return how many were deleted."""
        ...
