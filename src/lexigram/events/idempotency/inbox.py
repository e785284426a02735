"""``Inbox``: an event consumer that handles each event once, however often it is delivered.

At-least-once delivery (an outbox relay, a broker, a retried webhook) may hand a consumer the same
event twice. The inbox keys each delivery by ``(consumer, event id)`` in an idempotency store:

::

    inbox = Inbox(store, consumer="billing")
    await inbox.handle(event, charge_customer)       # runs charge_customer once per event id

``handle`` works on every store. When the consumer's own writes live in the same SQL database as
the store (SQLite or PostgreSQL), ``receive`` does better: the consumer's SQL and the inbox record
commit in one transaction, so even a process killed half-way leaves the event applied exactly
once (either both committed, or neither and the redelivery applies it)::

    async with inbox.receive(event) as delivery:
        if delivery.seen:
            return
        await delivery.session.execute("INSERT INTO invoices (order_id) VALUES (?)", event.order_id)
"""

from __future__ import annotations

import inspect
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from dataclasses import dataclass
from typing import Any, cast

from lexigram.contracts.events.idempotency import (
    IdempotencyStoreProtocol,
    TransactionalIdempotencyStoreProtocol,
)
from lexigram.contracts.events.subscriptions import ReadModelSessionProtocol
from lexigram.contracts.exceptions import ConfigurationError
from lexigram.events.exceptions import InvalidIdempotencyKeyError
from lexigram.events.idempotency.checks import checked_key, checked_ttl
from lexigram.events.idempotency.deduplicator import DEFAULT_LEASE_SECONDS, DEFAULT_WAIT_TIMEOUT, Deduplicator
from lexigram.events.idempotency.fingerprint import event_fingerprint

__all__ = ["Inbox", "InboxDelivery", "inbox_key"]


def inbox_key(consumer: str, event_id: Any) -> str:
    """The idempotency key of one event for one consumer: ``inbox:<consumer>:<event id>``."""
    return f"inbox:{consumer}:{event_id}"


def _event_id(event: Any) -> str:
    event_id = getattr(event, "event_id", None)
    if event_id is None:
        raise InvalidIdempotencyKeyError(
            f"an inbox needs events with an event_id; {type(event).__name__} has none (use DomainEvent "
            "subclasses, whose event_id is set when they are created)"
        )
    return str(event_id)


@dataclass(frozen=True, slots=True)
class InboxDelivery:
    """One event received in an inbox transaction."""

    event: Any
    """The event."""
    key: str
    """Its inbox key: ``inbox:<consumer>:<event id>``."""
    seen: bool
    """True when this consumer already handled the event: do nothing then."""
    session: ReadModelSessionProtocol
    """SQL inside the transaction that also records the event (``?`` on SQLite, ``$1`` on PostgreSQL)."""


class Inbox:
    """Exactly-once handling of events by one consumer, on an idempotency store.

    ``ttl`` is how long a handled event is remembered (None, the default: for ever; with a TTL, a
    redelivery after it is handled again). ``wait_timeout`` and ``lease_seconds`` work as in
    ``Deduplicator`` for ``handle``: a concurrent delivery of the same event waits for the first.
    """

    def __init__(
        self,
        store: IdempotencyStoreProtocol,
        consumer: str,
        *,
        ttl: float | None = None,
        wait_timeout: float = DEFAULT_WAIT_TIMEOUT,
        lease_seconds: float = DEFAULT_LEASE_SECONDS,
    ) -> None:
        self.consumer = checked_key(consumer, "the consumer name")
        if ":" in self.consumer:
            raise InvalidIdempotencyKeyError(f"the consumer name must not contain ':', got {consumer!r}")
        self.ttl = checked_ttl(ttl)
        self.store = store
        self._deduplicator = Deduplicator(store, wait_timeout=wait_timeout, lease_seconds=lease_seconds)

    def key_of(self, event: Any) -> str:
        """The inbox key of ``event`` for this consumer."""
        return inbox_key(self.consumer, _event_id(event))

    async def handle(self, event: Any, handler: Callable[[Any], Any]) -> bool:
        """Run ``handler(event)`` (sync or async) unless this consumer handled the event already.

        Returns True when the handler ran now, False for a duplicate. When the handler raises,
        the event is not recorded and the error propagates: the next delivery runs it again.
        """
        key = self.key_of(event)
        ran = False

        async def run() -> bool:
            nonlocal ran
            outcome = handler(event)
            if inspect.isawaitable(outcome):
                await outcome
            ran = True
            return True

        await self._deduplicator.run(key, event_fingerprint(event), run, ttl=self.ttl, describe="event")
        return ran

    @asynccontextmanager
    async def receive(self, event: Any) -> AsyncIterator[InboxDelivery]:
        """One transaction for one delivery: the block's SQL and the inbox record commit together.

        ``delivery.seen`` is True when the event was handled before: the block should do nothing.
        When the block raises, nothing is recorded and its SQL rolls back. A concurrent delivery
        of the same event waits until this block ends. Needs a SQL store (SQLite, PostgreSQL).
        """
        key = self.key_of(event)
        if not callable(getattr(self.store, "transaction", None)):
            raise ConfigurationError(
                f"{type(self.store).__name__} has no transactions, so receive() cannot commit your writes "
                "with the inbox record; use a SqliteIdempotencyStore or PostgresIdempotencyStore, or "
                "inbox.handle()"
            )
        store = cast(TransactionalIdempotencyStoreProtocol, self.store)
        async with store.transaction() as held:
            first = await held.record_once(key, event_fingerprint(event), self.ttl)
            yield InboxDelivery(event=event, key=key, seen=not first, session=held.session)
