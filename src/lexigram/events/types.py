"""Value types of the events subsystem: enums, records and results."""

from __future__ import annotations

import enum
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any, Generic, TypeVar
from uuid import UUID

from lexigram.contracts.events.records import Checkpoint, EventEnvelope, Snapshot, StreamInfo
from lexigram.contracts.workflow.records import SagaState

__all__ = [
    "AggregateStatus",
    "Checkpoint",
    "CommandResult",
    "DispatchResult",
    "EventEnvelope",
    "EventStoreBackend",
    "HandlerInfo",
    "MiddlewareInfo",
    "ProjectionState",
    "QueryResult",
    "SagaState",
    "Snapshot",
    "StreamInfo",
]

T = TypeVar("T")


class EventStoreBackend(enum.StrEnum):
    """Which event store an application uses."""

    MEMORY = "memory"
    SQLITE = "sqlite"
    POSTGRES = "postgres"
    MONGODB = "mongodb"
    REDIS = "redis"


class AggregateStatus(enum.StrEnum):
    """The lifecycle status of an aggregate."""

    ACTIVE = "active"
    INACTIVE = "inactive"
    ARCHIVED = "archived"
    DELETED = "deleted"


class ProjectionState(enum.StrEnum):
    """The state of a projection."""

    STOPPED = "stopped"
    RUNNING = "running"
    CATCHING_UP = "catching_up"
    LIVE = "live"
    FAULTED = "faulted"
    REBUILDING = "rebuilding"


@dataclass(frozen=True, slots=True)
class CommandResult(Generic[T]):
    """The outcome of a command, for callers that prefer a value to an exception."""

    success: bool
    value: T | None = None
    error: str | None = None
    command_id: UUID | None = None

    @classmethod
    def ok(cls, value: T | None = None, command_id: UUID | None = None) -> CommandResult[T]:
        """A successful outcome."""
        return cls(True, value, None, command_id)

    @classmethod
    def fail(cls, error: str, command_id: UUID | None = None) -> CommandResult[T]:
        """A failed outcome."""
        return cls(False, None, error, command_id)


@dataclass(frozen=True, slots=True)
class QueryResult(Generic[T]):
    """The outcome of a query, for callers that prefer a value to an exception."""

    success: bool
    value: T | None = None
    error: str | None = None
    query_id: UUID | None = None


@dataclass(slots=True)
class DispatchResult:
    """The outcome of delivering one event to its handlers."""

    success: bool = True
    handler_results: list[Any] = field(default_factory=list)
    errors: list[tuple[type[BaseException], BaseException]] = field(default_factory=list)

    @property
    def has_errors(self) -> bool:
        """True when any handler failed."""
        return bool(self.errors)

    def raise_if_errors(self) -> None:
        """Raise the first handler error, if any."""
        if self.errors:
            raise self.errors[0][1]


@dataclass(frozen=True, slots=True)
class HandlerInfo:
    """What a handler decorator recorded about a handler."""

    handler_type: str
    message_types: list[type]
    handler: Any
    name: str
    module: str
    is_async: bool
    metadata: dict[str, Any] = field(default_factory=dict)


@dataclass(frozen=True, slots=True)
class MiddlewareInfo:
    """A middleware registered on a bus, in pipeline order."""

    name: str
    middleware: Callable[..., Any]
    order: int = 0
