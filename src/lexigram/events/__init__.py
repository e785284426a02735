"""lexigram-events: CQRS and Event Sourcing for Python.

Commands change state through aggregates, every change is an immutable event in an append-only
store, read models are projected from the event log, and events reach other code through the
event bus.
"""

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
    InMemoryEventStore,
    InMemorySnapshotStore,
)

# isort: split
# --- sqlite store ---
from lexigram.events.stores.sqlite import SqliteEventStore, SqliteSnapshotStore

# isort: split
# --- postgres store ---
from lexigram.events.stores.postgres import PostgresEventStore, PostgresPool, PostgresSnapshotStore

# isort: split
# --- redis and mongodb stores ---
from lexigram.events.config import RedisEventStoreConfig
from lexigram.events.stores.mongodb import MongoDBConfig, MongoDBEventStore, MongoDBSnapshotStore
from lexigram.events.stores.redis import RedisEventStore, RedisSnapshotStore

# isort: split
# --- config, handlers registry, module, provider ---
from lexigram.events.config import (
    CommandBusConfig,
    EventBusConfig,
    EventsConfig,
    InMemoryEventStoreConfig,
    MongoDBEventStoreConfig,
    PostgresEventStoreConfig,
    QueryBusConfig,
    SnapshotConfig,
    SqliteConfig,
)
from lexigram.events.di import EventsProvider
from lexigram.events.handlers import HandlerRegistry
from lexigram.events.module import EventsModule

__all__ = [
    "AggregateFactoryProtocol",
    "AggregateNotFoundError",
    "AggregateStatus",
    "Checkpoint",
    "Command",
    "CommandBusProtocol",
    "CommandExecutionError",
    "CommandHandlerProtocol",
    "CommandResult",
    "ConcurrencyError",
    "ConfigurationError",
    "DispatchResult",
    "DomainError",
    "DomainEvent",
    "DomainEventPublisherProtocol",
    "DuplicateHandlerError",
    "Err",
    "Event",
    "EventBusProtocol",
    "EventEnvelope",
    "EventError",
    "EventFilterProtocol",
    "EventHandlerError",
    "EventHandlerProtocol",
    "EventLoadError",
    "EventMiddlewareProtocol",
    "EventPersistenceError",
    "EventSerializerProtocol",
    "EventStoreBackend",
    "EventStoreConnectionError",
    "EventStoreError",
    "EventStoreProtocol",
    "HandlerInfo",
    "HandlerNotFoundError",
    "IdempotentCommand",
    "InfrastructureError",
    "IntegrationEvent",
    "InvalidMessageError",
    "InvalidOperationError",
    "LexigramError",
    "Message",
    "MessageMetadata",
    "MiddlewareInfo",
    "MultiEventHandlerProtocol",
    "Ok",
    "PagedResult",
    "PaginatedQuery",
    "ProjectionBuildError",
    "ProjectionNotFoundError",
    "ProjectionProtocol",
    "ProjectionState",
    "Query",
    "QueryBusProtocol",
    "QueryExecutionError",
    "QueryHandlerProtocol",
    "QueryResult",
    "Result",
    "SagaState",
    "SchemaError",
    "SecurityError",
    "Snapshot",
    "SnapshotStoreProtocol",
    "StreamInfo",
    "StreamNotFoundError",
    "StreamingError",
    "ValidationError",
    "WebhookDeliveryError",
    "clear_handler_registry",
    "command_handler",
    "event_handler",
    "get_all_handlers",
    "get_handler_info",
    "query_handler",
    # --- buses exports ---
    "AbstractMiddleware",
    "CircuitBreakerMiddleware",
    "CircuitOpenError",
    "CommandBus",
    "CommandBusImpl",
    "DeadLetterEntry",
    "DeadLetterNotFoundError",
    "DeadLetterStoreProtocol",
    "EventBus",
    "EventBusClosedError",
    "EventBusImpl",
    "EventHandledHook",
    "EventPublishedHook",
    "EventStoredHook",
    "HookRegistryProtocol",
    "InMemoryDeadLetterStore",
    "LoggingMiddleware",
    "MessageValidationError",
    "MetricsMiddleware",
    "NextHandler",
    "ParallelProtocol",
    "QueryBus",
    "QueryBusImpl",
    "RetryMiddleware",
    "TracerProtocol",
    "TransactionMiddleware",
    "ValidationMiddleware",
    # --- aggregates/stores exports ---
    "AbstractEventStore",
    "AbstractReadOnlyRepository",
    "AbstractRepository",
    "AbstractSnapshotStore",
    "AggregateRoot",
    "CompositePolicy",
    "Entity",
    "EventCountPolicy",
    "EventEvictionWarning",
    "EventSourcingRepository",
    "RepositoryFactory",
    "Field",
    "InMemoryEventStore",
    "InMemorySnapshotStore",
    "OnDemandPolicy",
    "SnapshotContext",
    "SnapshotManager",
    "SnapshotPolicy",
    "TimeBasedPolicy",
    "ValueObject",
    # --- sqlite exports ---
    "SqliteEventStore",
    "SqliteSnapshotStore",
    # --- postgres exports ---
    "PostgresEventStore",
    "PostgresPool",
    "PostgresSnapshotStore",
    # --- redis/mongodb exports ---
    "MongoDBConfig",
    "MongoDBEventStore",
    "MongoDBSnapshotStore",
    "RedisEventStore",
    "RedisEventStoreConfig",
    "RedisSnapshotStore",
    # --- config/module exports ---
    "CommandBusConfig",
    "EventBusConfig",
    "EventsConfig",
    "EventsModule",
    "EventsProvider",
    "HandlerRegistry",
    "InMemoryEventStoreConfig",
    "MongoDBEventStoreConfig",
    "PostgresEventStoreConfig",
    "QueryBusConfig",
    "SnapshotConfig",
    "SqliteConfig",
]
