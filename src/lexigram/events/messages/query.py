"""Queries: ``Query``, ``PaginatedQuery`` and ``PagedResult``."""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import Any, Generic, TypeVar

from lexigram.contracts.exceptions import InvalidMessageError, ValidationError
from lexigram.contracts.messages import Query, to_jsonable

__all__ = ["PagedResult", "PaginatedQuery", "Query"]

TResult = TypeVar("TResult")
TItem = TypeVar("TItem")


class PaginatedQuery(Query[TResult]):
    """A query for one page of results: ``page`` starts at 1."""

    __lexigram_base__ = True

    page: int = 1
    page_size: int = 20

    def __post_init__(self) -> None:
        if self.page < 1:
            raise InvalidMessageError(f"{type(self).__name__}: page must be 1 or more, got {self.page}")
        if self.page_size < 1:
            raise InvalidMessageError(
                f"{type(self).__name__}: page_size must be 1 or more, got {self.page_size}"
            )

    @property
    def offset(self) -> int:
        """How many items come before this page."""
        return (self.page - 1) * self.page_size

    @property
    def limit(self) -> int:
        """The page size."""
        return self.page_size


@dataclass(slots=True)
class PagedResult(Generic[TItem]):
    """One page of results and where it sits among all of them."""

    items: list[TItem] = field(default_factory=list)
    total: int = 0
    page: int = 1
    page_size: int = 20

    def __post_init__(self) -> None:
        if self.page < 1 or self.page_size < 1 or self.total < 0:
            raise ValidationError(
                f"PagedResult needs page >= 1, page_size >= 1 and total >= 0; got page={self.page}, "
                f"page_size={self.page_size}, total={self.total}"
            )

    @property
    def total_pages(self) -> int:
        """How many pages there are (0 when there are no items)."""
        return math.ceil(self.total / self.page_size)

    @property
    def has_next(self) -> bool:
        """True when a page follows this one."""
        return self.page < self.total_pages

    @property
    def has_prev(self) -> bool:
        """True when a page precedes this one."""
        return self.page > 1

    def to_dict(self) -> dict[str, Any]:
        """Return a JSON-safe dict of the page."""
        return {
            "items": to_jsonable(list(self.items)),
            "total": self.total,
            "page": self.page,
            "page_size": self.page_size,
            "total_pages": self.total_pages,
            "has_next": self.has_next,
            "has_prev": self.has_prev,
        }
