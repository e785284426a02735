"""Contracts of the events subsystem: the ``Command`` base class and every extension protocol."""

from lexigram.contracts.events.buses import (
    CommandBusProtocol,
    DomainEventPublisherProtocol,
    EventBusProtocol,
    EventMiddlewareProtocol,
    QueryBusProtocol,
)
from lexigram.contracts.events.dead_letters import (
    DeadLetterEntry,
    DeadLetterStoreProtocol,
)
from lexigram.contracts.events.handlers import (
    CommandHandlerProtocol,
    EventHandlerProtocol,
    MultiEventHandlerProtocol,
    QueryHandlerProtocol,
)
from lexigram.contracts.events.idempotency import (
    ClaimOutcome,
    ClaimStatus,
    IdempotencyRecord,
    IdempotencyStoreProtocol,
    IdempotencyTransactionProtocol,
    RecordStatus,
    TransactionalIdempotencyStoreProtocol,
)
from lexigram.contracts.events.keys import KeyProviderProtocol, SubjectKey, SubjectKeyStoreProtocol
from lexigram.contracts.events.leases import PartitionLease, PartitionLeaseStoreProtocol
from lexigram.contracts.events.outbox import (
    OutboxEntry,
    OutboxFailure,
    OutboxMessage,
    OutboxPublisherProtocol,
    OutboxStoreProtocol,
)
from lexigram.contracts.events.projections import AggregateFactoryProtocol, ProjectionProtocol
from lexigram.contracts.events.records import Checkpoint, EventEnvelope, ParkedEvent, Snapshot, StreamInfo
from lexigram.contracts.events.stores import (
    EventFilterProtocol,
    EventReaderProtocol,
    EventSerializerProtocol,
    EventStoreProtocol,
    EventWriterProtocol,
    SnapshotStoreProtocol,
)
from lexigram.contracts.events.subscriptions import (
    AppendSignalProtocol,
    CheckpointStoreProtocol,
    CheckpointTransactionProtocol,
    EventLogProtocol,
    ReadModelSessionProtocol,
)
from lexigram.contracts.messages import Command, DomainEvent, Query

__all__ = [
    "KeyProviderProtocol",
    "SubjectKey",
    "SubjectKeyStoreProtocol",
    "ClaimOutcome",
    "ClaimStatus",
    "IdempotencyRecord",
    "IdempotencyStoreProtocol",
    "IdempotencyTransactionProtocol",
    "RecordStatus",
    "TransactionalIdempotencyStoreProtocol",
    "AggregateFactoryProtocol",
    "AppendSignalProtocol",
    "Checkpoint",
    "CheckpointStoreProtocol",
    "CheckpointTransactionProtocol",
    "EventEnvelope",
    "EventLogProtocol",
    "ParkedEvent",
    "PartitionLease",
    "PartitionLeaseStoreProtocol",
    "ReadModelSessionProtocol",
    "Command",
    "CommandBusProtocol",
    "CommandHandlerProtocol",
    "DeadLetterEntry",
    "DeadLetterStoreProtocol",
    "DomainEvent",
    "DomainEventPublisherProtocol",
    "EventBusProtocol",
    "EventFilterProtocol",
    "EventHandlerProtocol",
    "EventMiddlewareProtocol",
    "EventReaderProtocol",
    "EventSerializerProtocol",
    "EventStoreProtocol",
    "EventWriterProtocol",
    "MultiEventHandlerProtocol",
    "OutboxEntry",
    "OutboxFailure",
    "OutboxMessage",
    "OutboxPublisherProtocol",
    "OutboxStoreProtocol",
    "ProjectionProtocol",
    "Query",
    "QueryBusProtocol",
    "QueryHandlerProtocol",
    "Snapshot",
    "SnapshotStoreProtocol",
    "StreamInfo",
]
