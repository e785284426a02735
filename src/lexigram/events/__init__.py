"""lexigram-events: CQRS and Event Sourcing for Python.

Commands change state through aggregates, every change is an immutable event in an append-only
store, read models are projected from the event log, and events reach other code through the
event bus.
"""

from typing import TYPE_CHECKING, Any

from lexigram.contracts.core.result import Err, Ok, Result
from lexigram.contracts.events import (
    AggregateFactoryProtocol,
    CommandBusProtocol,
    CommandHandlerProtocol,
    DomainEventPublisherProtocol,
    EventBusProtocol,
    EventFilterProtocol,
    EventHandlerProtocol,
    EventMiddlewareProtocol,
    EventSerializerProtocol,
    EventStoreProtocol,
    MultiEventHandlerProtocol,
    ProjectionProtocol,
    QueryBusProtocol,
    QueryHandlerProtocol,
    SnapshotStoreProtocol,
)
from lexigram.events.decorators import (
    clear_handler_registry,
    command_handler,
    event_handler,
    get_all_handlers,
    get_handler_info,
    query_handler,
)
from lexigram.events.exceptions import (
    AggregateNotFoundError,
    CheckpointStoreError,
    CommandExecutionError,
    ConcurrencyError,
    ConfigurationError,
    DomainError,
    DuplicateHandlerError,
    EventError,
    EventHandlerError,
    EventLoadError,
    EventPersistenceError,
    EventStoreConnectionError,
    EventStoreError,
    HandlerNotFoundError,
    InfrastructureError,
    InvalidCheckpointError,
    InvalidMessageError,
    InvalidOperationError,
    LexigramError,
    ProjectionBuildError,
    ProjectionNotFoundError,
    QueryExecutionError,
    SchemaError,
    SecurityError,
    StreamingError,
    StreamNotFoundError,
    ValidationError,
    WebhookDeliveryError,
)
from lexigram.events.messages import (
    Command,
    DomainEvent,
    Event,
    IdempotentCommand,
    IntegrationEvent,
    Message,
    MessageMetadata,
    PagedResult,
    PaginatedQuery,
    Query,
)
from lexigram.events.types import (
    AggregateStatus,
    Checkpoint,
    CommandResult,
    DispatchResult,
    EventEnvelope,
    EventStoreBackend,
    HandlerInfo,
    MiddlewareInfo,
    ProjectionState,
    QueryResult,
    SagaState,
    Snapshot,
    StreamInfo,
)

# --- buses (buses/, middleware/, dead letters) ---
# isort: split
from lexigram.events.buses import (
    CommandBus,
    CommandBusImpl,
    DeadLetterEntry,
    DeadLetterStoreProtocol,
    EventBus,
    EventBusImpl,
    EventHandledHook,
    EventPublishedHook,
    EventStoredHook,
    HookRegistryProtocol,
    InMemoryDeadLetterStore,
    ParallelProtocol,
    QueryBus,
    QueryBusImpl,
    TracerProtocol,
)
from lexigram.events.exceptions import (
    CircuitOpenError,
    DeadLetterNotFoundError,
    EventBusClosedError,
    MessageValidationError,
)
from lexigram.events.middleware import (
    AbstractMiddleware,
    CircuitBreakerMiddleware,
    LoggingMiddleware,
    MetricsMiddleware,
    NextHandler,
    RetryMiddleware,
    TransactionMiddleware,
    ValidationMiddleware,
)

# isort: split
# --- aggregates, stores, repository, snapshots ---
from lexigram.events.aggregates import AggregateRoot, Entity, Field, ValueObject
from lexigram.events.repository import (
    AbstractReadOnlyRepository,
    AbstractRepository,
    EventSourcingRepository,
    RepositoryFactory,
)
from lexigram.events.snapshots import (
    CompositePolicy,
    EventCountPolicy,
    OnDemandPolicy,
    SnapshotContext,
    SnapshotManager,
    SnapshotPolicy,
    TimeBasedPolicy,
)
from lexigram.events.stores import (
    AbstractEventStore,
    AbstractSnapshotStore,
    EventEvictionWarning,
    InMemoryCheckpointStore,
    InMemoryEventStore,
    InMemorySnapshotStore,
)

# isort: split
# --- sqlite store ---
from lexigram.events.stores.sqlite import SqliteCheckpointStore, SqliteEventStore, SqliteSnapshotStore

# isort: split
# --- postgres store ---
from lexigram.events.stores.postgres import (
    PostgresCheckpointStore,
    PostgresEventStore,
    PostgresPool,
    PostgresSnapshotStore,
)

# isort: split
# --- redis and mongodb stores ---
from lexigram.events.config import RedisEventStoreConfig
from lexigram.events.stores.mongodb import MongoDBConfig, MongoDBEventStore, MongoDBSnapshotStore
from lexigram.events.stores.redis import RedisEventStore, RedisSnapshotStore

# isort: split
# --- projections ---
from lexigram.events.projections import (
    ErrorAction,
    ErrorPolicy,
    ProjectionFaulted,
    ProjectionManager,
    RebuildProgress,
    is_replaying,
)

# isort: split
# --- idempotency, inbox and durable dead letters ---
from lexigram.contracts.events.idempotency import IdempotencyStoreProtocol
from lexigram.events.decorators import idempotent
from lexigram.events.exceptions import (
    DeadLetterStoreError,
    IdempotencyConflictError,
    IdempotencyInProgressError,
    IdempotencyResultError,
    IdempotencyStoreError,
    InvalidIdempotencyKeyError,
)
from lexigram.events.idempotency import Deduplicator, IdempotencyPolicy, Inbox, InboxDelivery
from lexigram.events.stores.memory import InMemoryIdempotencyStore
from lexigram.events.stores.postgres import PostgresDeadLetterStore, PostgresIdempotencyStore
from lexigram.events.stores.sqlite import SqliteDeadLetterStore, SqliteIdempotencyStore

# isort: split
# --- sagas ---
from lexigram.events.exceptions import (
    SagaConcurrencyError,
    SagaDefinitionError,
    SagaError,
    SagaExecutionError,
    SagaNotFoundError,
    SagaStoreError,
    SagaValidationError,
)
from lexigram.events.sagas import (
    EventDrivenSaga,
    InMemorySagaStore,
    SagaBase,
    SagaContext,
    SagaManager,
    SagaRecord,
    SagaServices,
    SagaStepRecord,
    SagaStepResult,
    SagaStepStatus,
    SqlSagaStore,
    saga_handler,
    saga_step,
)

# isort: split
# --- PII encryption ---
from lexigram.events.decorators import encrypted_event
from lexigram.events.decorators.encryption import PII
from lexigram.events.exceptions import (
    SnapshotUnreadableError,
    SubjectForgottenError,
    SubjectKeyNotLoadedError,
)
from lexigram.events.stores.memory import InMemorySubjectKeyStore
from lexigram.events.stores.postgres import PostgresSubjectKeyStore
from lexigram.events.stores.sqlite import SqliteSubjectKeyStore

# isort: split
# --- schema evolution ---
from lexigram.events.exceptions import (
    EventVersionSkewError,
    SnapshotReplayError,
    UnknownEventTypeError,
    UpcastChainError,
)
from lexigram.events.schema import (
    EventSchema,
    KnownEventSet,
    KnownEventSetRegistry,
    SchemaEvolution,
    SchemaRegistry,
    SkewLog,
    SkewReason,
    UnknownEvent,
    VersionAwareSubscription,
    VersionSkew,
    current_schema_version,
    known_event_sets,
    known_events,
    reading_version_skew,
)

# isort: split
# --- transactional outbox ---
from lexigram.events.exceptions import OutboxPublishError
from lexigram.events.outbox import (
    EventBusPublisher,
    OutboxEntry,
    OutboxFailure,
    OutboxMessage,
    OutboxPublisherProtocol,
    OutboxRelay,
    OutboxStoreProtocol,
    RelayPass,
)

# isort: split
# --- config, handlers registry, module, provider ---
from lexigram.events.config import (
    CommandBusConfig,
    EventBusConfig,
    EventsConfig,
    InMemoryEventStoreConfig,
    MongoDBEventStoreConfig,
    OutboxConfig,
    PostgresEventStoreConfig,
    ProjectionsConfig,
    QueryBusConfig,
    SnapshotConfig,
    SqliteConfig,
)
from lexigram.events.di import EventsProvider
from lexigram.events.handlers import HandlerRegistry
from lexigram.events.module import EventsModule

__all__ = [
    "EventSchema",
    "EventVersionSkewError",
    "KnownEventSet",
    "KnownEventSetRegistry",
    "SchemaEvolution",
    "SchemaRegistry",
    "SkewLog",
    "SkewReason",
    "SnapshotReplayError",
    "UnknownEvent",
    "UnknownEventTypeError",
    "UpcastChainError",
    "VersionAwareSubscription",
    "VersionSkew",
    "current_schema_version",
    "known_event_sets",
    "known_events",
    "reading_version_skew",
    "PII",
    "REDACTED",
    "EncryptedEventSerializer",
    "EncryptedSnapshotStore",
    "EnvironmentKeyProvider",
    "InMemorySubjectKeyStore",
    "KeyFileProvider",
    "PostgresSubjectKeyStore",
    "RedactedText",
    "SnapshotUnreadableError",
    "SqliteSubjectKeyStore",
    "SubjectForgottenError",
    "SubjectKeyNotLoadedError",
    "SubjectKeyedEventStore",
    "encrypted_event",
    "event_is_redacted",
    "redacted_fields",
    "EventDrivenSaga",
    "InMemorySagaStore",
    "SagaBase",
    "SagaConcurrencyError",
    "SagaContext",
    "SagaDefinitionError",
    "SagaError",
    "SagaExecutionError",
    "SagaManager",
    "SagaNotFoundError",
    "SagaRecord",
    "SagaServices",
    "SagaStepRecord",
    "SagaStepResult",
    "SagaStepStatus",
    "SagaStoreError",
    "SagaValidationError",
    "SqlSagaStore",
    "saga_handler",
    "saga_step",
    "DeadLetterStoreError",
    "Deduplicator",
    "IdempotencyConflictError",
    "IdempotencyInProgressError",
    "IdempotencyPolicy",
    "IdempotencyResultError",
    "IdempotencyStoreError",
    "IdempotencyStoreProtocol",
    "InMemoryIdempotencyStore",
    "Inbox",
    "InboxDelivery",
    "InvalidIdempotencyKeyError",
    "PostgresDeadLetterStore",
    "PostgresIdempotencyStore",
    "SqliteDeadLetterStore",
    "SqliteIdempotencyStore",
    "idempotent",
    "EventBusPublisher",
    "OutboxConfig",
    "OutboxEntry",
    "OutboxFailure",
    "OutboxMessage",
    "OutboxPublishError",
    "OutboxPublisherProtocol",
    "OutboxRelay",
    "OutboxStoreProtocol",
    "RelayPass",
    "AbstractEventStore",
    "AbstractMiddleware",
    "AbstractReadOnlyRepository",
    "AbstractRepository",
    "AbstractSnapshotStore",
    "AggregateFactoryProtocol",
    "AggregateNotFoundError",
    "AggregateRoot",
    "AggregateStatus",
    "Checkpoint",
    "CheckpointStoreError",
    "CircuitBreakerMiddleware",
    "CircuitOpenError",
    "Command",
    "CommandBus",
    "CommandBusConfig",
    "CommandBusImpl",
    "CommandBusProtocol",
    "CommandExecutionError",
    "CommandHandlerProtocol",
    "CommandResult",
    "CompositePolicy",
    "ConcurrencyError",
    "ConfigurationError",
    "DeadLetterEntry",
    "DeadLetterNotFoundError",
    "DeadLetterStoreProtocol",
    "DispatchResult",
    "DomainError",
    "DomainEvent",
    "DomainEventPublisherProtocol",
    "DuplicateHandlerError",
    "Entity",
    "Err",
    "ErrorAction",
    "ErrorPolicy",
    "Event",
    "EventBus",
    "EventBusClosedError",
    "EventBusConfig",
    "EventBusImpl",
    "EventBusProtocol",
    "EventCountPolicy",
    "EventEnvelope",
    "EventError",
    "EventEvictionWarning",
    "EventFilterProtocol",
    "EventHandledHook",
    "EventHandlerError",
    "EventHandlerProtocol",
    "EventLoadError",
    "EventMiddlewareProtocol",
    "EventPersistenceError",
    "EventPublishedHook",
    "EventSerializerProtocol",
    "EventSourcingRepository",
    "EventStoreBackend",
    "EventStoreConnectionError",
    "EventStoreError",
    "EventStoreProtocol",
    "EventStoredHook",
    "EventsConfig",
    "EventsModule",
    "EventsProvider",
    "Field",
    "HandlerInfo",
    "HandlerNotFoundError",
    "HandlerRegistry",
    "HookRegistryProtocol",
    "IdempotentCommand",
    "InMemoryCheckpointStore",
    "InMemoryDeadLetterStore",
    "InMemoryEventStore",
    "InMemoryEventStoreConfig",
    "InMemorySnapshotStore",
    "InfrastructureError",
    "IntegrationEvent",
    "InvalidCheckpointError",
    "InvalidMessageError",
    "InvalidOperationError",
    "LexigramError",
    "LoggingMiddleware",
    "Message",
    "MessageMetadata",
    "MessageValidationError",
    "MetricsMiddleware",
    "MiddlewareInfo",
    "MongoDBConfig",
    "MongoDBEventStore",
    "MongoDBEventStoreConfig",
    "MongoDBSnapshotStore",
    "MultiEventHandlerProtocol",
    "NextHandler",
    "Ok",
    "OnDemandPolicy",
    "PagedResult",
    "PaginatedQuery",
    "ParallelProtocol",
    "PostgresCheckpointStore",
    "PostgresEventStore",
    "PostgresEventStoreConfig",
    "PostgresPool",
    "PostgresSnapshotStore",
    "ProjectionBuildError",
    "ProjectionFaulted",
    "ProjectionManager",
    "ProjectionNotFoundError",
    "ProjectionProtocol",
    "ProjectionState",
    "ProjectionsConfig",
    "Query",
    "QueryBus",
    "QueryBusConfig",
    "QueryBusImpl",
    "QueryBusProtocol",
    "QueryExecutionError",
    "QueryHandlerProtocol",
    "QueryResult",
    "RebuildProgress",
    "RedisEventStore",
    "RedisEventStoreConfig",
    "RedisSnapshotStore",
    "RepositoryFactory",
    "Result",
    "RetryMiddleware",
    "SagaState",
    "SchemaError",
    "SecurityError",
    "Snapshot",
    "SnapshotConfig",
    "SnapshotContext",
    "SnapshotManager",
    "SnapshotPolicy",
    "SnapshotStoreProtocol",
    "SqliteCheckpointStore",
    "SqliteConfig",
    "SqliteEventStore",
    "SqliteSnapshotStore",
    "StreamInfo",
    "StreamNotFoundError",
    "StreamingError",
    "TimeBasedPolicy",
    "TracerProtocol",
    "TransactionMiddleware",
    "ValidationError",
    "ValidationMiddleware",
    "ValueObject",
    "WebhookDeliveryError",
    "clear_handler_registry",
    "command_handler",
    "event_handler",
    "get_all_handlers",
    "get_handler_info",
    "is_replaying",
    "query_handler",
]


# --- names that need an optional dependency, imported on first use ---
_ENCRYPTION = frozenset(
    {
        "REDACTED",
        "EncryptedEventSerializer",
        "EncryptedSnapshotStore",
        "EnvironmentKeyProvider",
        "KeyFileProvider",
        "RedactedText",
        "SubjectKeyedEventStore",
        "event_is_redacted",
        "redacted_fields",
    }
)
"""``lexigram.events.encryption`` needs ``cryptography`` (the ``crypto`` extra)."""

if TYPE_CHECKING:
    from lexigram.events.encryption import (
        REDACTED,
        EncryptedEventSerializer,
        EncryptedSnapshotStore,
        EnvironmentKeyProvider,
        KeyFileProvider,
        RedactedText,
        SubjectKeyedEventStore,
        event_is_redacted,
        redacted_fields,
    )


def __getattr__(name: str) -> Any:
    """Import the encryption names on first use, so the core installs without ``cryptography``."""
    if name in _ENCRYPTION:
        from lexigram.events import encryption

        return getattr(encryption, name)
    raise AttributeError(f"module 'lexigram.events' has no attribute {name!r}")
