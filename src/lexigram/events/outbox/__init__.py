"""The transactional outbox: relays that publish what event stores recorded with each append.

Turn it on in an application with ``events: {outbox_enabled: true}``; outside one, open a store
with ``outbox=True`` and run an ``OutboxRelay`` over ``store.outbox``.
"""

from lexigram.contracts.events.outbox import (
    OutboxEntry,
    OutboxFailure,
    OutboxMessage,
    OutboxPublisherProtocol,
    OutboxStoreProtocol,
)
from lexigram.events.outbox.publishers import EventBusPublisher
from lexigram.events.outbox.relay import OutboxRelay, RelayPass

__all__ = [
    "EventBusPublisher",
    "OutboxEntry",
    "OutboxFailure",
    "OutboxMessage",
    "OutboxPublisherProtocol",
    "OutboxRelay",
    "OutboxStoreProtocol",
    "RelayPass",
]
