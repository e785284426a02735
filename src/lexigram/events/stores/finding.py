"""Argument handling of ``find_by_type``, shared by the stores that offer it."""

from __future__ import annotations

from typing import Any, NamedTuple

from lexigram.events.stores.arguments import check_position

__all__ = ["DEFAULT_FIND_COUNT", "TypeQuery"]

DEFAULT_FIND_COUNT = 100
"""How many events ``find_by_type`` returns when no count is given."""


def _alias(name: str, value: Any, alias_name: str, alias: Any, default: int) -> Any:
    if value is not None and alias is not None and value != alias:
        raise ValueError(
            f"{name}={value!r} and {alias_name}={alias!r} disagree; {alias_name} is an alias of {name}"
        )
    if value is not None:
        return value
    return default if alias is None else alias


class TypeQuery(NamedTuple):
    """A checked ``find_by_type`` call: the type name, how many events to skip and how many to return."""

    event_type: str
    skip: int
    limit: int

    @classmethod
    def from_arguments(
        cls, event_type: Any, count: Any = None, start: Any = None, limit: Any = None, offset: Any = None
    ) -> TypeQuery:
        """Normalise ``find_by_type(event_type, count=100, start=0)``; ``limit``/``offset`` are aliases.

        ``event_type`` is a type name or an event class (its name is used).
        """
        name = event_type.__name__ if isinstance(event_type, type) else event_type
        if not isinstance(name, str) or not name:
            raise ValueError(
                f"event_type must be a non-empty type name or an event class, got {event_type!r}"
            )
        wanted = _alias("count", count, "limit", limit, DEFAULT_FIND_COUNT)
        skipped = _alias("start", start, "offset", offset, 0)
        return cls(name, check_position("start", skipped), check_position("count", wanted))
