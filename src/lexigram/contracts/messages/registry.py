"""The registry that maps stored event type names back to their classes."""

from __future__ import annotations

import threading
from typing import Any

__all__ = ["EventTypeRegistry", "event_types"]


class EventTypeRegistry:
    """Maps an event type name to the class that builds it.

    Every ``DomainEvent`` subclass registers itself under its class name when it is defined; when two
    classes share a name, the one defined last wins. Persistent stores use ``resolve`` to rebuild
    stored events as their original class.
    """

    def __init__(self) -> None:
        self._types: dict[str, type[Any]] = {}
        self._lock = threading.Lock()
        self.generation = 0
        """Grows with every registration, so readers can tell when a cached lookup may be stale."""

    def register(self, name: str, cls: type[Any]) -> None:
        """Register ``cls`` under ``name``, replacing any earlier class of that name."""
        if not isinstance(name, str) or not name:
            raise ValueError("an event type name must be a non-empty string")
        with self._lock:
            self._types[name] = cls
            self.generation += 1

    def resolve(self, name: str) -> type[Any] | None:
        """Return the class registered under ``name``, or None when there is none."""
        return self._types.get(name)

    def names(self) -> list[str]:
        """Return every registered name, sorted."""
        return sorted(self._types)

    def __contains__(self, name: object) -> bool:
        return name in self._types

    def __len__(self) -> int:
        return len(self._types)


event_types = EventTypeRegistry()
"""The process-wide registry of event types."""
