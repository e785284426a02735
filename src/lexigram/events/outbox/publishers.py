"""Publishers an outbox relay hands events to: ``EventBusPublisher`` for the application's event bus.

A broker adapter becomes a relay target by following ``OutboxPublisherProtocol``: one async
``publish(message)`` that raises when the broker did not accept the event.
"""

from __future__ import annotations

from lexigram.contracts.core.result import Err
from lexigram.contracts.events.buses import DomainEventPublisherProtocol
from lexigram.contracts.events.outbox import OutboxMessage
from lexigram.events.exceptions import OutboxPublishError

__all__ = ["EventBusPublisher"]


class EventBusPublisher:
    """Publishes outbox events on an event bus; an ``Err`` result or an exception is a failure.

    ``flush`` waits until the bus has fully processed what was published (``bus.flush()``), so a
    relay marks events published only once their handlers ran (or dead-lettered them).
    """

    def __init__(self, bus: DomainEventPublisherProtocol) -> None:
        self.bus = bus
        """The bus events are published on."""

    async def flush(self) -> None:
        """Wait until the bus has processed every event published so far (when the bus can tell)."""
        flush = getattr(self.bus, "flush", None)
        if flush is not None:
            await flush()

    async def publish(self, message: OutboxMessage) -> None:
        """Publish the message's event; raise ``OutboxPublishError`` when the bus refuses it."""
        result = await self.bus.publish(message.event)
        if isinstance(result, Err):
            error = result.error
            what = f"{type(message.event).__name__} at position {message.position}"
            raise OutboxPublishError(
                f"the event bus refused {what}: {error}",
                position=message.position,
            ) from error if isinstance(error, BaseException) else None
