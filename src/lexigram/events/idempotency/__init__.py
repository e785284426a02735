"""Idempotency: commands that take effect once per key, and event consumers that handle each event once.

- ``Deduplicator`` runs work at most once per key on an ``IdempotencyStoreProtocol`` and shares
  the recorded result with every later caller (the command bus uses it for ``IdempotentCommand``
  and ``@idempotent`` handlers).
- ``Inbox`` keys event deliveries by ``(consumer, event id)``: ``handle`` on any store, and
  ``receive`` for the transactional form on SQLite and PostgreSQL.
- ``encode_result``/``decode_result``: how results are recorded as JSON.

The stores are ``InMemoryIdempotencyStore``, ``SqliteIdempotencyStore`` and
``PostgresIdempotencyStore`` (in ``lexigram.events.stores.<backend>``).
"""

from lexigram.events.idempotency.deduplicator import DEFAULT_LEASE_SECONDS, DEFAULT_WAIT_TIMEOUT, Deduplicator
from lexigram.events.idempotency.fingerprint import command_fingerprint, event_fingerprint
from lexigram.events.idempotency.inbox import Inbox, InboxDelivery, inbox_key
from lexigram.events.idempotency.policy import DEFAULT_RESULT_TTL, IdempotencyPolicy, idempotency_policy
from lexigram.events.idempotency.result_codec import decode_result, encode_result

__all__ = [
    "DEFAULT_LEASE_SECONDS",
    "DEFAULT_RESULT_TTL",
    "DEFAULT_WAIT_TIMEOUT",
    "Deduplicator",
    "IdempotencyPolicy",
    "Inbox",
    "InboxDelivery",
    "command_fingerprint",
    "decode_result",
    "encode_result",
    "event_fingerprint",
    "idempotency_policy",
    "inbox_key",
]
