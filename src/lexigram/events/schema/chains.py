"""``TypeChains``: the upcasters and downcasters of one event type, and how they are walked."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from enum import StrEnum
from typing import Any

from lexigram.events.exceptions import UpcastChainError
from lexigram.events.schema.registry import SchemaRegistry

__all__ = ["Converter", "Direction", "Step", "TypeChains"]

Converter = Callable[[dict[str, Any]], dict[str, Any]]
"""An upcaster or downcaster: an event document at one version in, the document at another out."""


class Direction(StrEnum):
    """Which way a converter moves a document."""

    UP = "up"
    DOWN = "down"


@dataclass(frozen=True, slots=True)
class Step:
    """One registered converter."""

    from_version: int
    to_version: int
    convert: Converter

    def apply(self, name: str, document: dict[str, Any], direction: Direction) -> dict[str, Any]:
        """Run the converter and stamp the new version on its result."""
        result = self.convert(document)
        if type(result) is not dict:
            raise UpcastChainError(
                f"the {direction.value}caster of {name} v{self.from_version} -> v{self.to_version} "
                f"returned {type(result).__name__}; it must return the converted document (a dict)",
                event_type=name,
            )
        result["schema_version"] = self.to_version
        return result


class TypeChains:
    """The converters of one event type, keyed by the version they start from."""

    __slots__ = ("current", "down", "name", "up")

    def __init__(self, name: str) -> None:
        self.name = name
        self.up: dict[int, Step] = {}
        self.down: dict[int, Step] = {}
        self.current: int = -1
        """The type's current version once known (-1 before): documents at it skip the chain."""

    def add(
        self, direction: Direction, from_version: Any, to_version: Any, fn: Converter, current: int | None
    ) -> None:
        """Record a converter after checking its versions against the others and the class."""
        name, what = self.name, f"{direction.value}caster"
        for label, value in (("from_version", from_version), ("to_version", to_version)):
            if isinstance(value, bool) or not isinstance(value, int) or value < 1:
                raise UpcastChainError(
                    f"the {what} of {name}: {label} must be an integer >= 1, got {value!r}", event_type=name
                )
        upward = direction is Direction.UP
        if (to_version <= from_version) if upward else (to_version >= from_version):
            raise UpcastChainError(
                f"an {what} of {name} must go {'up' if upward else 'down'}: v{from_version} -> v{to_version}",
                event_type=name,
            )
        steps = self.up if upward else self.down
        existing = steps.get(from_version)
        if existing is not None:
            raise UpcastChainError(
                f"{name} already has an {what} from v{from_version} (to v{existing.to_version}, "
                f"{getattr(existing.convert, '__qualname__', existing.convert)!r}); each version has one",
                event_type=name,
            )
        newest = max(from_version, to_version)
        if current is not None and newest > current:
            raise UpcastChainError(
                f"{name} is at schema version {current}, so an {what} v{from_version} -> v{to_version} "
                f"cannot apply; declare `schema_version: int = {newest}` on the {name} class first",
                event_type=name,
            )
        steps[from_version] = Step(from_version, to_version, fn)
        self.current = -1 if current is None else current

    def upcast(self, document: dict[str, Any], version: Any, registry: SchemaRegistry) -> dict[str, Any]:
        """Walk the upcasters from ``version`` to the current version."""
        current = registry.current_version(self.name)
        if current is None or not self.up:
            return document  # no class: the store reports it; no upcasters: nothing to convert
        self.current = current
        if type(version) is not int or version < 1:
            raise UpcastChainError(
                f"a stored {self.name} has the schema version {version!r}; versions are integers >= 1",
                event_type=self.name,
            )
        while version < current:
            step = self.up.get(version)
            if step is None:
                raise UpcastChainError(
                    f"a stored {self.name} is at v{version}, but no upcaster goes from v{version} toward the "
                    f"current v{current}; register one with evolution.register_upcaster("
                    f"{self.name!r}, {version}, {version + 1}, fn)",
                    event_type=self.name,
                )
            document = step.apply(self.name, document, Direction.UP)
            version = step.to_version
        return document

    def downcast(self, document: dict[str, Any], version: int, to_version: int) -> dict[str, Any]:
        """Walk the downcasters from ``version`` to the older ``to_version``."""
        if to_version > version:
            raise UpcastChainError(
                f"cannot downcast {self.name} v{version} to the newer v{to_version}; downcasting goes to "
                "older versions",
                event_type=self.name,
            )
        while version > to_version:
            step = self.down.get(version)
            if step is None or step.to_version < to_version:
                raise UpcastChainError(
                    f"no downcaster takes {self.name} from v{version} toward v{to_version}; register one "
                    f"with evolution.register_downcaster({self.name!r}, {version}, {version - 1}, fn)",
                    event_type=self.name,
                )
            document = step.apply(self.name, document, Direction.DOWN)
            version = step.to_version
        return document

    def problems(self, current: int | None) -> list[str]:
        """The gaps of these chains against the type's current version."""
        name = self.name
        if current is None:
            return [f"{name}: converters are registered, but no event class is known for it"]
        found: list[str] = []
        for step in (*self.up.values(), *self.down.values()):
            if max(step.from_version, step.to_version) > current:
                found.append(
                    f"{name}: v{step.from_version} -> v{step.to_version} goes beyond the current v{current}"
                )
        if self.up:
            found.extend(self._gaps(range(1, current), current, self.up, "up"))
        if self.down:
            lowest = min(step.to_version for step in self.down.values())
            found.extend(self._gaps(range(current, lowest, -1), lowest, self.down, "down"))
        return found

    def _gaps(self, versions: range, target: int, steps: dict[int, Step], way: str) -> list[str]:
        missing: set[int] = set()
        for start in versions:
            version = start
            while version != target and version in steps:
                version = steps[version].to_version
            if version != target and (version - target) * (1 if way == "down" else -1) > 0:
                missing.add(version)
        return [
            f"{self.name}: no {way}caster from v{version} (needed to bring older versions to v{target})"
            if way == "up"
            else f"{self.name}: no downcaster from v{version} (needed to reach v{target})"
            for version in sorted(missing)
        ]
