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
    "AggregateNotFoundError",
    "CheckpointStoreError",
    "CircuitOpenError",
    "CommandExecutionError",
    "ConcurrencyError",
    "ConfigurationError",
    "DeadLetterNotFoundError",
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
    "InfrastructureError",
    "InvalidCheckpointError",
    "InvalidMessageError",
    "InvalidOperationError",
    "LexigramError",
    "MessageValidationError",
    "ProjectionBuildError",
    "ProjectionNotFoundError",
    "QueryExecutionError",
    "SchemaError",
    "SecurityError",
    "StreamNotFoundError",
    "StreamingError",
    "ValidationError",
    "WebhookDeliveryError",
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
