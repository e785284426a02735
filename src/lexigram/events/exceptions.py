"""The events exception hierarchy; every class derives from ``LexigramError``."""

from __future__ import annotations

from typing import Any

from lexigram.contracts.exceptions import (
    ConfigurationError,
    DomainError,
    EventError,
    InfrastructureError,
    InvalidMessageError,
    LexigramError,
    ValidationError,
)

__all__ = [
    "SagaConcurrencyError",
    "SagaDefinitionError",
    "SagaError",
    "SagaExecutionError",
    "SagaNotFoundError",
    "SagaStoreError",
    "SagaValidationError",
    "AggregateNotFoundError",
    "CheckpointStoreError",
    "CircuitOpenError",
    "CommandExecutionError",
    "ConcurrencyError",
    "ConfigurationError",
    "DeadLetterNotFoundError",
    "DeadLetterStoreError",
    "DomainError",
    "DuplicateHandlerError",
    "EventBusClosedError",
    "EventError",
    "EventHandlerError",
    "EventLoadError",
    "EventPersistenceError",
    "EventStoreConnectionError",
    "EventStoreError",
    "HandlerNotFoundError",
    "IdempotencyConflictError",
    "IdempotencyInProgressError",
    "IdempotencyResultError",
    "IdempotencyStoreError",
    "InfrastructureError",
    "InvalidCheckpointError",
    "InvalidIdempotencyKeyError",
    "InvalidMessageError",
    "InvalidOperationError",
    "LexigramError",
    "MessageValidationError",
    "OutboxPublishError",
    "ProjectionBuildError",
    "ProjectionNotFoundError",
    "QueryExecutionError",
    "SchemaError",
    "SecurityError",
    "SnapshotUnreadableError",
    "StreamNotFoundError",
    "StreamingError",
    "SubjectForgottenError",
    "SubjectKeyNotLoadedError",
    "ValidationError",
    "WebhookDeliveryError",
    "EventVersionSkewError",
    "SnapshotReplayError",
    "UnknownEventTypeError",
    "UpcastChainError",
]


class ConcurrencyError(EventError):
    """A stream was not at the expected version: someone else appended first.

    Reload the aggregate and retry the command.
    """

    code = "EVT-004"

    def __init__(self, stream_id: str, expected_version: int | None, actual_version: int) -> None:
        super().__init__(
            f"stream '{stream_id}' is at version {actual_version}, not the expected version "
            f"{expected_version}; reload it and retry",
            details={
                "stream_id": stream_id,
                "expected_version": expected_version,
                "actual_version": actual_version,
            },
        )
        self.stream_id = stream_id
        self.expected_version = expected_version
        self.actual_version = actual_version


class CommandExecutionError(EventError):
    """A command handler failed (or timed out); ``__cause__`` holds the original exception."""

    code = "EVT-005"

    def __init__(self, command_type: str, error: str) -> None:
        super().__init__(
            f"command {command_type} failed: {error}",
            details={"command_type": command_type, "error": error},
        )
        self.command_type = command_type
        self.error = error


class QueryExecutionError(EventError):
    """A query handler failed (or timed out); ``__cause__`` holds the original exception."""

    code = "EVT-006"

    def __init__(self, query_type: str, error: str) -> None:
        super().__init__(
            f"query {query_type} failed: {error}", details={"query_type": query_type, "error": error}
        )
        self.query_type = query_type
        self.error = error


class StreamNotFoundError(EventError):
    """A stream that must exist does not."""

    code = "EVT-007"

    def __init__(self, stream_type: str, stream_id: str) -> None:
        super().__init__(
            f"{stream_type} stream '{stream_id}' does not exist",
            details={"stream_type": stream_type, "stream_id": stream_id},
        )
        self.stream_type = stream_type
        self.stream_id = stream_id


class EventHandlerError(EventError):
    """An event could not be delivered to its handlers (for example: no handler at all)."""

    code = "EVT-008"


class HandlerNotFoundError(EventError):
    """No handler is registered for a message type."""

    code = "EVT-009"

    def __init__(self, message_type: str, kind: str = "message") -> None:
        super().__init__(
            f"no {kind} handler is registered for {message_type}; register one with "
            f"bus.register({message_type}, handler) or decorate it with @{kind}_handler",
            details={"message_type": message_type},
        )
        self.message_type = message_type


class DuplicateHandlerError(EventError):
    """A second, different handler was registered for a command or query type."""

    code = "EVT-010"

    def __init__(self, message_type: str, existing: str, new: str) -> None:
        super().__init__(
            f"{message_type} already has the handler {existing}; {new} cannot also handle it "
            "(commands and queries have exactly one handler)",
            details={"message_type": message_type, "existing": existing, "new": new},
        )
        self.message_type = message_type


class AggregateNotFoundError(DomainError):
    """No aggregate exists with the requested id."""

    code = "EVT-011"

    def __init__(self, aggregate_type: str, aggregate_id: Any) -> None:
        super().__init__(
            f"{aggregate_type} '{aggregate_id}' was not found",
            details={"aggregate_type": aggregate_type, "aggregate_id": str(aggregate_id)},
        )
        self.aggregate_type = aggregate_type
        self.aggregate_id = aggregate_id


class InvalidOperationError(DomainError):
    """An operation is not allowed in the aggregate's current state."""

    code = "EVT-012"


class EventStoreError(InfrastructureError):
    """An event store failed."""

    code = "EVT-020"


class EventStoreConnectionError(EventStoreError):
    """The event store could not be reached."""

    code = "EVT-021"


class EventPersistenceError(EventStoreError):
    """Events could not be written."""

    code = "EVT-022"


class EventLoadError(EventStoreError):
    """Events could not be read back."""

    code = "EVT-023"


class ProjectionBuildError(EventError):
    """A projection failed to apply an event or to rebuild."""

    code = "EVT-015"


class ProjectionNotFoundError(EventError):
    """No projection is registered under the requested name."""

    code = "EVT-016"


class SchemaError(EventError):
    """An event's schema is unknown, invalid or cannot be converted."""

    code = "EVT-017"


class WebhookDeliveryError(InfrastructureError):
    """An outbound webhook delivery failed after all retries."""

    code = "EVT-018"

    def __init__(
        self,
        message: str,
        *,
        url: str | None = None,
        status: int | None = None,
        failures: list[tuple[str, int | None]] | None = None,
    ) -> None:
        super().__init__(message, details={"url": url, "status": status})
        self.url = url
        self.status = status
        self.failures = list(failures or [])


class SecurityError(LexigramError):
    """A key is missing or wrong, or a signature does not verify."""

    code = "EVT-019"


class StreamingError(InfrastructureError):
    """Event streaming to a client failed."""

    code = "EVT-024"


class EventBusClosedError(EventHandlerError):
    """The event bus is closed (or closing) and accepts no more events."""

    code = "EVT-025"

    def __init__(self, event_type: str) -> None:
        super().__init__(
            f"the event bus is closed: {event_type} was not published", details={"event_type": event_type}
        )
        self.event_type = event_type


class DeadLetterNotFoundError(EventError):
    """No dead-letter entry has the requested id."""

    code = "EVT-026"

    def __init__(self, entry_id: str) -> None:
        super().__init__(f"no dead-letter entry has the id '{entry_id}'", details={"entry_id": entry_id})
        self.entry_id = entry_id


class CircuitOpenError(EventError):
    """A circuit breaker is open: calls for this message type fail fast until it recovers."""

    code = "EVT-027"

    def __init__(self, message_type: str, retry_after: float) -> None:
        super().__init__(
            f"the circuit for {message_type} is open after repeated failures; retry in {retry_after:.3g}s",
            details={"message_type": message_type, "retry_after": retry_after},
        )
        self.message_type = message_type
        self.retry_after = retry_after


class CheckpointStoreError(InfrastructureError):
    """A checkpoint store failed: its database could not be reached or refused a statement.

    Also raised when a checkpoint transaction (or its read-model session) is used after it ended,
    or from inside itself where that would wait forever. ``__cause__`` holds the driver's error.
    """

    code = "EVT-028"


class InvalidCheckpointError(ValidationError, TypeError):
    """A checkpoint, a parked event or a projection name was rejected before any work was done.

    It is both a ``ValueError`` (through ``ValidationError``) and a ``TypeError``, like
    ``InvalidMessageError``, so it is caught whether the value or its type was wrong.
    """

    code = "EVT-029"


class MessageValidationError(ValidationError):
    """A message was rejected by its ``validate()`` method or by a validator."""

    code = "LEX-303"

    def __init__(self, message_type: str, problems: list[str]) -> None:
        super().__init__(
            f"{message_type} is invalid: " + "; ".join(problems),
            details={"message_type": message_type, "problems": list(problems)},
        )
        self.message_type = message_type
        self.problems = list(problems)


class OutboxPublishError(EventError):
    """A relay could not publish an outbox event (the publisher refused it); the relay retries it.

    ``position`` is the event's global position; ``__cause__`` holds the publisher's error.
    """

    code = "EVT-040"

    def __init__(self, message: str, position: int | None = None) -> None:
        super().__init__(message, details={"position": position})
        self.position = position


class SubjectForgottenError(SecurityError):
    """An event was written for a data subject whose key was destroyed (crypto-shredded).

    The subject's data cannot be encrypted again under the forgotten key; ``alias`` and
    ``subject`` name it.
    """

    code = "EVT-050"

    def __init__(self, alias: str, subject: str) -> None:
        super().__init__(
            f"data subject {subject!r} of key alias {alias!r} was forgotten (its key is destroyed): "
            "new events with its personal data cannot be written; use another subject id",
            details={"alias": alias, "subject": subject},
        )
        self.alias = alias
        self.subject = subject


class SubjectKeyNotLoadedError(SecurityError):
    """An event needs the data key of a subject that the serializer has not loaded yet.

    Call ``await serializer.prepare(events)`` before writing, or ``await serializer.load_keys()``
    before reading (``SubjectKeyedEventStore`` does both for you).
    """

    code = "EVT-051"

    def __init__(self, alias: str, subject: str, *, writing: bool) -> None:
        hint = (
            "await serializer.prepare(events) before appending"
            if writing
            else "await serializer.load_keys() (or load_keys(subjects=[...])) before reading"
        )
        super().__init__(
            f"the data key of subject {subject!r} (key alias {alias!r}) is not loaded: {hint}, or wrap "
            "the store in SubjectKeyedEventStore, which does it for you",
            details={"alias": alias, "subject": subject},
        )
        self.alias = alias
        self.subject = subject


class SnapshotUnreadableError(EventLoadError):
    """A stored snapshot cannot be decrypted or decoded; rebuild the aggregate from its events.

    Raised by ``EncryptedSnapshotStore`` for a snapshot whose key is missing or wrong or whose
    ciphertext was altered; the repository can ignore the snapshot and replay the events.
    """

    code = "EVT-052"

    def __init__(self, message: str, *, aggregate_id: str, version: int | None = None) -> None:
        super().__init__(message, details={"aggregate_id": aggregate_id, "version": version})
        self.aggregate_id = aggregate_id
        self.version = version


class IdempotencyConflictError(EventError):
    """An idempotency key was used again with a different input (another command payload).

    Like a payment API's idempotency keys: a key names one piece of work; reusing it for other
    work is a client bug. Use a new key for new work.
    """

    code = "EVT-060"

    def __init__(self, key: str, message_type: str) -> None:
        super().__init__(
            f"the idempotency key {key!r} was already used for a different {message_type} (another "
            "payload); a key names exactly one piece of work: send a new key for new work",
            details={"key": key, "message_type": message_type},
        )
        self.key = key
        self.message_type = message_type


class IdempotencyInProgressError(EventError):
    """Work under an idempotency key was still running when the caller stopped waiting for it.

    Nothing was run a second time; retry later to get the result of the first run.
    """

    code = "EVT-061"

    def __init__(self, key: str, waited_seconds: float) -> None:
        super().__init__(
            f"the work under idempotency key {key!r} is still running after waiting {waited_seconds:.3g}s "
            "for it; retry later to get its result (raise wait_timeout to wait longer)",
            details={"key": key, "waited_seconds": waited_seconds},
        )
        self.key = key
        self.waited_seconds = waited_seconds


class IdempotencyResultError(ValidationError, TypeError):
    """A handler's result cannot be recorded as JSON for later callers, or a record cannot be read.

    Return ``None``, JSON values, messages or dataclasses of such values from idempotent
    handlers. The claim is released, so nothing is recorded.
    """

    code = "EVT-062"


class IdempotencyStoreError(InfrastructureError):
    """An idempotency store (or an inbox transaction) failed; ``__cause__`` holds the driver's error."""

    code = "EVT-063"


class InvalidIdempotencyKeyError(ValidationError, TypeError):
    """An idempotency key, consumer name or time limit was rejected before any work was done."""

    code = "EVT-064"


class DeadLetterStoreError(InfrastructureError):
    """A durable dead-letter store failed, or an event could not be serialized into it."""

    code = "EVT-065"


class SagaError(EventError):
    """Base class of the saga errors (``lexigram.events.sagas``)."""

    code = "EVT-080"


class SagaDefinitionError(SagaError, TypeError):
    """A saga class is declared wrongly (no steps, a bad compensation, retries or timeout).

    Raised when the class is defined or registered, never halfway through a saga.
    """

    code = "EVT-081"


class SagaNotFoundError(SagaError, LookupError):
    """No saga instance has the requested id, or no saga class is registered under a name."""

    code = "EVT-082"


class SagaConcurrencyError(SagaError):
    """A saga instance changed since it was read (another manager advanced or claimed it).

    Also raised when creating an instance whose id, or whose saga type and correlation key, is
    taken. Reload the instance before trying again.
    """

    code = "EVT-083"

    def __init__(
        self,
        saga_id: str,
        message: str,
        expected_version: int | None = None,
        actual_version: int | None = None,
    ) -> None:
        details = {"saga_id": saga_id, "expected_version": expected_version, "actual_version": actual_version}
        super().__init__(message, details=details)
        self.saga_id = saga_id
        self.expected_version = expected_version
        self.actual_version = actual_version


class SagaExecutionError(SagaError):
    """Event-driven sagas failed to handle an event; ``failures`` maps each saga name to its error."""

    code = "EVT-084"

    def __init__(self, event_type: str, failures: dict[str, BaseException]) -> None:
        listed = "; ".join(f"{name}: {type(exc).__name__}: {exc}" for name, exc in failures.items())
        super().__init__(
            f"{len(failures)} saga(s) failed to handle {event_type} ({listed}); the other sagas handled "
            "it, and the failed ones see it again when it is processed again",
            details={"event_type": event_type, "sagas": sorted(failures)},
        )
        self.event_type = event_type
        self.failures = dict(failures)


class SagaStoreError(InfrastructureError):
    """A saga store failed: its database could not be reached or refused a statement."""

    code = "EVT-085"


class SagaValidationError(ValidationError, TypeError):
    """A saga store or manager was given a bad argument (a record, an id, data that is not JSON).

    Both a ``ValueError`` and a ``TypeError``, like ``InvalidCheckpointError``.
    """

    code = "EVT-086"


class UpcastChainError(SchemaError):
    """Upcasters or downcasters are registered wrongly, or a chain misses a link.

    Raised when an upcaster is registered (a bad version pair, a duplicate, a version beyond the
    event's current one), by ``SchemaEvolution.verify()``, and when an event of an older version is
    read and no chain of upcasters leads from its version to the current one. ``event_type`` names
    the event type.
    """

    code = "EVT-090"

    def __init__(self, message: str, *, event_type: str | None = None) -> None:
        super().__init__(message, details={"event_type": event_type})
        self.event_type = event_type


class UnknownEventTypeError(EventLoadError):
    """A stored event's type has no event class in this process.

    Import the module that defines it, register it with ``store.register_event_type``, or read
    the log through ``VersionAwareSubscription`` (or inside ``reading_version_skew()``) to get an
    ``UnknownEvent`` record instead. ``position`` is the event's global position.
    """

    code = "EVT-091"

    def __init__(self, message: str, *, event_type: object, position: int | None = None) -> None:
        super().__init__(message, details={"event_type": event_type, "position": position})
        self.event_type = event_type
        self.position = position


class EventVersionSkewError(EventLoadError):
    """A stored event has a newer schema version than this process knows.

    A newer service wrote it. Deploy the reader with the newer event class, or read the log
    through ``VersionAwareSubscription`` (or inside ``reading_version_skew()``) to get an
    ``UnknownEvent`` record instead.
    """

    code = "EVT-092"

    def __init__(
        self,
        message: str,
        *,
        event_type: str,
        stored_version: int,
        known_version: int,
        position: int | None = None,
    ) -> None:
        super().__init__(
            message,
            details={
                "event_type": event_type,
                "stored_version": stored_version,
                "known_version": known_version,
                "position": position,
            },
        )
        self.event_type = event_type
        self.stored_version = stored_version
        self.known_version = known_version
        self.position = position


class SnapshotReplayError(EventLoadError):
    """An aggregate's snapshot cannot be used and its events cannot replace it.

    The snapshot is unreadable or was taken for an older state schema, and the stream was
    compacted, so replaying the remaining events would build a wrong state. Restore the
    aggregate's state class (or its events) and load it again.
    """

    code = "EVT-093"
