"""``VersionAwareSubscription``: follow the global log without crashing on events it cannot read.

It reads envelopes from a store (any ``EventLogProtocol``) inside ``reading_version_skew()``, so an
event of an unknown type, of a newer schema version, or whose data does not decode comes back as
an ``UnknownEvent`` instead of failing the whole read. Those, and events newer than the consumer
declared with ``@known_events``, are not delivered: each becomes a ``VersionSkew`` that is recorded
in ``skew_log`` (and logged) and passed to ``on_skew``. Nothing is silently dropped::

    subscription = VersionAwareSubscription(store, consumer=projection, on_skew=alert)
    async for envelope in subscription.envelopes():
        await projection.apply(envelope.event)
    # subscription.position: where to resume; subscription.skew_log: what was held back
"""

from __future__ import annotations

import inspect
from collections.abc import AsyncIterator, Awaitable, Callable
from typing import Any

from lexigram.contracts.events.records import EventEnvelope
from lexigram.contracts.events.subscriptions import EventLogProtocol
from lexigram.events.schema.known_events import KnownEventSet, known_events_of
from lexigram.events.schema.registry import SchemaRegistry
from lexigram.events.schema.skew import SkewLog, VersionSkew
from lexigram.events.schema.unknown import SkewReason, UnknownEvent, reading_version_skew

__all__ = ["SkewCallback", "VersionAwareSubscription"]

SkewCallback = Callable[[VersionSkew], Awaitable[None] | None]
"""Called once per held-back event (sync or async)."""


class VersionAwareSubscription:
    """Reads the global log from ``position``, delivering what the consumer can take (module docs).

    ``consumer`` (optional) supplies ``known``: its ``@known_events`` declaration. ``known`` may
    also be given directly. Without either, only what the process itself cannot read is held back.
    ``on_skew`` is awaited for every skew before reading goes on; an exception it raises
    propagates and the position stays before the event, so the event is reported again.
    """

    def __init__(
        self,
        source: EventLogProtocol,
        *,
        consumer: Any = None,
        known: KnownEventSet | None = None,
        on_skew: SkewCallback | None = None,
        skew_log: SkewLog | None = None,
        registry: SchemaRegistry | None = None,
        position: int = 0,
        batch_size: int = 100,
    ) -> None:
        if not callable(getattr(source, "read_envelopes", None)):
            raise TypeError(
                f"VersionAwareSubscription reads an event log (a store with read_envelopes), got "
                f"{type(source).__name__}"
            )
        if isinstance(position, bool) or not isinstance(position, int) or position < 0:
            raise ValueError(f"position must be an integer >= 0, got {position!r}")
        if isinstance(batch_size, bool) or not isinstance(batch_size, int) or batch_size < 1:
            raise ValueError(f"batch_size must be a positive integer, got {batch_size!r}")
        if on_skew is not None and not callable(on_skew):
            raise TypeError(f"on_skew must be callable, got {on_skew!r}")
        if known is not None and not isinstance(known, KnownEventSet):
            raise TypeError(f"known must be a KnownEventSet, got {type(known).__name__}")
        self.source = source
        self.known = known if known is not None else known_events_of(consumer)
        self.on_skew = on_skew
        self.skew_log = skew_log if skew_log is not None else SkewLog()
        self.registry = registry
        self.position = position
        """The global position of the last event read (delivered or held back): resume after it."""
        self.batch_size = batch_size

    async def read(self, limit: int | None = None) -> list[EventEnvelope]:
        """Read the next batch after ``position``: the envelopes to deliver, in order.

        Held-back events are reported before this returns; a batch stops before a held-back event
        that follows deliverable ones, so a failing ``on_skew`` never loses an event. An empty list
        means the log has nothing more for now, or that only held-back events were read (then
        ``position`` moved).
        """
        size = self.batch_size if limit is None else limit
        with reading_version_skew():
            envelopes = await self.source.read_envelopes(self.position, size)
        delivered: list[EventEnvelope] = []
        for envelope in envelopes:
            skew = self.check(envelope)
            if skew is not None:
                if delivered:
                    break  # deliver what came before it first; it is reported by the next read
                await self._report(skew)
            else:
                delivered.append(envelope)
            if envelope.position is not None:
                self.position = envelope.position
        return delivered

    async def envelopes(self) -> AsyncIterator[EventEnvelope]:
        """Every deliverable envelope after ``position`` up to the current end of the log."""
        while True:
            before = self.position
            batch = await self.read()
            for envelope in batch:
                yield envelope
            if self.position == before:
                return

    async def events(self) -> AsyncIterator[Any]:
        """The deliverable events after ``position`` up to the current end of the log."""
        async for envelope in self.envelopes():
            yield envelope.event

    def check(self, envelope: EventEnvelope) -> VersionSkew | None:
        """The skew that keeps this envelope from the consumer, or None when it can be delivered."""
        event = envelope.event
        consumer = None if self.known is None else self.known.consumer
        if isinstance(event, UnknownEvent):
            return VersionSkew.from_unknown(event, stream_id=envelope.stream_id, consumer=consumer)
        if self.known is None:
            return None
        name = event.event_type
        declared = self.known.known_version(name, self.registry)
        if declared is None or event.schema_version <= declared:
            return None
        return VersionSkew(
            reason=SkewReason.CONSUMER_BEHIND,
            event_type=name,
            stored_version=event.schema_version,
            known_version=declared,
            position=envelope.position,
            stream_id=envelope.stream_id,
            stream_version=envelope.version,
            event=event,
            consumer=consumer,
        )

    async def _report(self, skew: VersionSkew) -> None:
        self.skew_log.record(skew)
        if self.on_skew is not None:
            outcome = self.on_skew(skew)
            if inspect.isawaitable(outcome):
                await outcome
