"""What each consumer understands: ``@known_events``, ``KnownEventSet`` and their registry.

A handler, projection or saga declares the event types (and versions) it was written for::

    @known_events(OrderPlaced, ("PaymentTaken", 2), "OrderShipped")
    class RevenueProjection: ...

A class stands for its current version when the decorator runs; ``(name, version)`` names a
version explicitly; a bare name means whatever version this process's class has. The declaration
lands on the consumer (``__known_events__``) and in ``known_event_sets``, the process-wide
``KnownEventSetRegistry``, so a deployment check can list every consumer that is behind the
events the service writes (``known_event_sets.gaps()``). ``VersionAwareSubscription`` uses the
declaration to hold back, and report, events newer than the consumer knows.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from types import MappingProxyType
from typing import Any, TypeVar

from lexigram.contracts.messages import DomainEvent
from lexigram.events.exceptions import SchemaError
from lexigram.events.schema.registry import SchemaRegistry, event_type_name
from lexigram.events.schema.versions import current_schema_version

__all__ = [
    "KnownEventGap",
    "KnownEventSet",
    "KnownEventSetRegistry",
    "known_event_sets",
    "known_events",
    "known_events_of",
]

T = TypeVar("T")

KnownEntry = type[DomainEvent] | str | tuple[str | type[DomainEvent], int]
"""One entry of ``@known_events``: a class, a type name, or a (type, version) pair."""


@dataclass(frozen=True, slots=True)
class KnownEventSet:
    """The event types one consumer understands, each up to a version (None: the process's version)."""

    consumer: str
    versions: Mapping[str, int | None] = field(default_factory=lambda: MappingProxyType({}))

    @classmethod
    def of(cls, consumer: str, *entries: KnownEntry) -> KnownEventSet:
        """Build a set from ``@known_events`` entries; ``ValueError``/``TypeError`` for a bad entry."""
        if not isinstance(consumer, str) or not consumer:
            raise ValueError("a known-event set needs a consumer name (a non-empty string)")
        versions: dict[str, int | None] = {}
        for entry in entries:
            name, version = _entry(entry)
            if name in versions and versions[name] != version:
                raise ValueError(
                    f"{consumer} declares {name} twice, with versions {versions[name]} and {version}"
                )
            versions[name] = version
        if not versions:
            raise ValueError(f"{consumer}: @known_events needs at least one event type")
        return cls(consumer, MappingProxyType(versions))

    def knows(self, event_type: str) -> bool:
        """True when the consumer declared ``event_type``."""
        return event_type in self.versions

    def known_version(self, event_type: str, registry: SchemaRegistry | None = None) -> int | None:
        """The newest version of ``event_type`` the consumer understands (None: undeclared or unknown)."""
        if event_type not in self.versions:
            return None
        version = self.versions[event_type]
        if version is None:
            version = (registry or _PROCESS).current_version(event_type)
        return version


def _entry(entry: Any) -> tuple[str, int | None]:
    if isinstance(entry, tuple):
        if len(entry) != 2:
            raise ValueError(f"a known-event entry must be (event type, version), got {entry!r}")
        name, version = event_type_name(entry[0]), entry[1]
        if isinstance(version, bool) or not isinstance(version, int) or version < 1:
            raise ValueError(f"the version of {name} must be an integer >= 1, got {version!r}")
        return name, version
    if isinstance(entry, type) and issubclass(entry, DomainEvent):
        return entry.__name__, current_schema_version(entry)
    return event_type_name(entry), None


@dataclass(frozen=True, slots=True)
class KnownEventGap:
    """A consumer that does not understand what the service writes."""

    consumer: str
    event_type: str
    known_version: int | None
    current_version: int | None

    def describe(self) -> str:
        """One line for a deployment report."""
        if self.current_version is None:
            return f"{self.consumer}: knows {self.event_type}, but no event class is known for it"
        return (
            f"{self.consumer}: knows {self.event_type} up to v{self.known_version}, but the service "
            f"writes v{self.current_version}"
        )


class KnownEventSetRegistry:
    """Every consumer's ``KnownEventSet``, by consumer name."""

    def __init__(self) -> None:
        self._sets: dict[str, KnownEventSet] = {}
        self._lock = threading.Lock()

    def register(self, known: KnownEventSet) -> None:
        """Record ``known`` (replacing an earlier set of the same consumer)."""
        if not isinstance(known, KnownEventSet):
            raise TypeError(f"expected a KnownEventSet, got {type(known).__name__}")
        with self._lock:
            self._sets[known.consumer] = known

    def get(self, consumer: str) -> KnownEventSet | None:
        """The set of one consumer, or None."""
        return self._sets.get(consumer)

    def consumers(self) -> list[str]:
        """Every consumer name, sorted."""
        return sorted(self._sets)

    def gaps(self, registry: SchemaRegistry | None = None) -> list[KnownEventGap]:
        """Each (consumer, event type) where the consumer knows an older version than the service writes.

        Also each declared type with no event class at all. ``registry`` resolves types (default:
        every event class of the process).
        """
        resolver = registry or _PROCESS
        found: list[KnownEventGap] = []
        for consumer in self.consumers():
            known = self._sets[consumer]
            for name in sorted(known.versions):
                current = resolver.current_version(name)
                version = known.known_version(name, resolver)
                if current is None or (version is not None and version < current):
                    found.append(KnownEventGap(consumer, name, version, current))
        return found

    def check(self, registry: SchemaRegistry | None = None) -> None:
        """Raise ``SchemaError`` listing every gap: a deployment check for start-up or CI."""
        gaps = self.gaps(registry)
        if gaps:
            raise SchemaError(
                "consumers are behind the events this service writes; upgrade them, or keep writing "
                "the versions they know:\n  " + "\n  ".join(gap.describe() for gap in gaps),
                details={"gaps": [gap.describe() for gap in gaps]},
            )

    def clear(self) -> None:
        """Forget every set (for tests)."""
        with self._lock:
            self._sets.clear()


_ATTRIBUTE = "__known_events__"
"""Where ``@known_events`` leaves the declaration on the consumer."""
_PROCESS = SchemaRegistry()
known_event_sets = KnownEventSetRegistry()
"""The process-wide registry that ``@known_events`` records into."""


def known_events(*entries: KnownEntry, name: str | None = None) -> Callable[[T], T]:
    """Declare what a consumer class or function understands (see the module docs).

    ``name`` defaults to the consumer's qualified name. The consumer is returned unchanged, with
    ``__known_events__`` set.
    """

    KnownEventSet.of(name or "consumer", *entries)  # bad entries fail here, where they are written

    def declare(consumer: T) -> T:
        consumer_name = name or getattr(consumer, "__qualname__", None) or type(consumer).__qualname__
        known = KnownEventSet.of(consumer_name, *entries)
        try:
            setattr(consumer, _ATTRIBUTE, known)
        except AttributeError as exc:
            raise TypeError(f"@known_events cannot mark {consumer!r}: {exc}") from exc
        known_event_sets.register(known)
        return consumer

    return declare


def known_events_of(consumer: Any) -> KnownEventSet | None:
    """The ``KnownEventSet`` a consumer (or its class) declared, or None."""
    known = getattr(consumer, _ATTRIBUTE, None)
    return known if isinstance(known, KnownEventSet) else None
