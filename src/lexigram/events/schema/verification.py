"""``StoredEventVerifier``: decode every stored event through the current chain and report failures.

What ``lexigram-events schema verify`` runs, usable from code and tests too. Build the store
with the verifier as its ``schema_evolution`` (the verifier wraps your ``SchemaEvolution``, noting
each event's stored type and version and the document its upcasters produce), then run it::

    verifier = StoredEventVerifier(evolution)
    store = SqliteEventStore(config, schema_evolution=verifier)
    report = await verifier.run(store)
    print("\\n".join(report.lines())); assert report.ok

An event fails when its type has no class, its version is newer than the class, its data does
not decode, or what the upcasters produce does not fit the current ``EventSchema`` (a missing or
mistyped field, a key the class does not have). Gaps in the chains are reported too.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from typing import Any

from lexigram.contracts.events.subscriptions import EventLogProtocol
from lexigram.events.exceptions import SchemaError
from lexigram.events.schema.evolution import SchemaEvolution
from lexigram.events.schema.unknown import SkewReason, UnknownEvent, reading_version_skew

__all__ = ["StoredEventVerifier", "VerificationFailure", "VerificationReport"]


@dataclass(frozen=True, slots=True)
class VerificationFailure:
    """One stored event that does not decode to its current shape."""

    event_type: str
    stored_version: int | None
    position: int | None
    stream_id: str
    stream_version: int
    problem: str


@dataclass(slots=True)
class VerificationReport:
    """What a verification found: counts per (type, stored version), failures, chain problems."""

    checked: dict[tuple[str, int | None], int] = field(default_factory=lambda: defaultdict(int))
    failures: list[VerificationFailure] = field(default_factory=list)
    chain_problems: list[str] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        """True when every event decoded and the chains have no gaps."""
        return not self.failures and not self.chain_problems

    @property
    def total(self) -> int:
        """How many stored events were checked."""
        return sum(self.checked.values())

    def lines(self, *, examples: int = 3) -> list[str]:
        """A readable summary: one line per type and version, with up to ``examples`` failures each."""
        failed: dict[tuple[str, int | None], list[VerificationFailure]] = defaultdict(list)
        for failure in self.failures:
            failed[(failure.event_type, failure.stored_version)].append(failure)
        lines = [f"chain gap: {problem}" for problem in self.chain_problems]
        for key in sorted(self.checked, key=lambda k: (k[0], k[1] or 0)):
            name, version = key
            count, bad = self.checked[key], failed.get(key, [])
            label = f"{name} v{'?' if version is None else version}"
            if not bad:
                lines.append(f"ok      {label}: {count} event{'s' * (count != 1)}")
                continue
            lines.append(f"FAILED  {label}: {len(bad)} of {count} event{'s' * (count != 1)} failed to decode")
            for failure in bad[:examples]:
                lines.append(
                    f"          position {failure.position} (stream '{failure.stream_id}' "
                    f"v{failure.stream_version}): {failure.problem}"
                )
            if len(bad) > examples:
                lines.append(f"          ... and {len(bad) - examples} more")
        verdict = "all decode" if self.ok else f"{len(self.failures)} failed"
        lines.append(f"checked {self.total} stored event{'s' * (self.total != 1)}: {verdict}")
        return lines


class StoredEventVerifier:
    """Wraps a ``SchemaEvolution`` to watch what a store decodes (see the module docs)."""

    def __init__(self, evolution: SchemaEvolution | None = None) -> None:
        if evolution is not None and not isinstance(evolution, SchemaEvolution):
            raise TypeError(f"evolution must be a SchemaEvolution, got {type(evolution).__name__}")
        self.evolution = evolution if evolution is not None else SchemaEvolution()
        self._stored: dict[Any, tuple[str, int]] = {}
        self._produced: dict[Any, dict[str, Any]] = {}

    def upcast(self, data: dict[str, Any]) -> dict[str, Any]:
        """Upcast like the wrapped evolution, noting the stored type and version and the result."""
        event_id = data.get("event_id")
        version = data.get("schema_version", 1)
        self._stored[event_id] = (str(data.get("event_type")), version if type(version) is int else 0)
        produced = self.evolution.upcast(data)
        self._produced[event_id] = produced
        return produced

    async def run(self, source: EventLogProtocol, *, batch_size: int = 500) -> VerificationReport:
        """Read the whole log of ``source`` (built with this verifier) and report what fails."""
        if isinstance(batch_size, bool) or not isinstance(batch_size, int) or batch_size < 1:
            raise ValueError(f"batch_size must be a positive integer, got {batch_size!r}")
        report = VerificationReport(chain_problems=self.evolution.problems())
        after = 0
        while True:
            self._stored.clear()
            self._produced.clear()
            with reading_version_skew():
                envelopes = await source.read_envelopes(after, batch_size)
            for envelope in envelopes:
                self._check(envelope.event, envelope.stream_id, envelope.version, envelope.position, report)
                after = envelope.position if envelope.position is not None else after
            if len(envelopes) < batch_size:
                return report

    def _check(
        self,
        event: Any,
        stream_id: str,
        stream_version: int,
        position: int | None,
        report: VerificationReport,
    ) -> None:
        if isinstance(event, UnknownEvent):
            key = (event.original_type, event.stored_version)
            problem: str | None = _unknown_problem(event)
        else:
            event_id = str(event.event_id)
            name, version = self._stored.get(event_id, (event.event_type, event.schema_version))
            key = (name, version)
            problem = self._shape_problem(event, self._produced.get(event_id))
        report.checked[key] += 1
        if problem is not None:
            report.failures.append(
                VerificationFailure(key[0], key[1], position, stream_id, stream_version, problem)
            )

    def _shape_problem(self, event: Any, produced: dict[str, Any] | None) -> str | None:
        if produced is None:
            return None  # a serializer that does not upcast through us: the decoded event is all we have
        try:
            schema = self.evolution.registry.get(event.event_type)
        except SchemaError as exc:
            return str(exc)
        problems = schema.problems(produced)
        return "; ".join(problems) if problems else None


def _unknown_problem(event: UnknownEvent) -> str:
    if event.reason == SkewReason.UNKNOWN_TYPE.value:
        return f"no event class is known for {event.original_type}; import it in the --evolution module"
    if event.reason == SkewReason.NEWER_VERSION.value:
        return f"v{event.stored_version} is newer than the current v{event.known_version}"
    return str(event.error)
