"""The testing kit: store conformance suites and given/when/then helpers.

- ``EventStoreContract``, ``SnapshotStoreContract``, ``CheckpointStoreContract`` and
  ``PartitionLeaseStoreContract``: subclass them with a fixture to check that a store (ours or a
  third party's) honours the whole store contract.
- ``AggregateScenario``: given past events, when a behaviour runs, then new events or an error.
- ``CommandHandlerScenario``: given events in an ``InMemoryEventStore``, when a command is handled,
  then new events, a result or an error.
- ``assert_events_match``: compares events by class and payload with a readable report.

The conformance suites need pytest and pytest-asyncio; the scenario helpers need neither. The
suites are imported on first use, so importing this package (as the pytest plugin does) registers
none of their event types.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

from lexigram.events.testing.aggregate_scenario import AggregateScenario
from lexigram.events.testing.handler_scenario import CommandHandlerScenario
from lexigram.events.testing.matching import assert_events_match, describe_event, event_payload, events_match

if TYPE_CHECKING:
    from lexigram.events.testing.checkpoint_store_contract import CheckpointStoreContract
    from lexigram.events.testing.dead_letter_store_contract import DeadLetterStoreContract
    from lexigram.events.testing.event_store_contract import EventStoreContract
    from lexigram.events.testing.idempotency_store_contract import (
        IdempotencyStoreContract,
        TransactionalIdempotencyStoreContract,
    )
    from lexigram.events.testing.lease_store_contract import PartitionLeaseStoreContract
    from lexigram.events.testing.outbox_store_contract import OutboxStoreContract
    from lexigram.events.testing.saga_store_contract import SagaStoreContract
    from lexigram.events.testing.snapshot_store_contract import SnapshotStoreContract
    from lexigram.events.testing.subject_key_store_contract import SubjectKeyStoreContract

__all__ = [
    "AggregateScenario",
    "CheckpointStoreContract",
    "CommandHandlerScenario",
    "DeadLetterStoreContract",
    "EventStoreContract",
    "IdempotencyStoreContract",
    "OutboxStoreContract",
    "PartitionLeaseStoreContract",
    "SagaStoreContract",
    "SnapshotStoreContract",
    "SubjectKeyStoreContract",
    "TransactionalIdempotencyStoreContract",
    "assert_events_match",
    "describe_event",
    "event_payload",
    "events_match",
]

_LAZY = {
    "CheckpointStoreContract": "lexigram.events.testing.checkpoint_store_contract",
    "DeadLetterStoreContract": "lexigram.events.testing.dead_letter_store_contract",
    "IdempotencyStoreContract": "lexigram.events.testing.idempotency_store_contract",
    "TransactionalIdempotencyStoreContract": "lexigram.events.testing.idempotency_store_contract",
    "EventStoreContract": "lexigram.events.testing.event_store_contract",
    "OutboxStoreContract": "lexigram.events.testing.outbox_store_contract",
    "PartitionLeaseStoreContract": "lexigram.events.testing.lease_store_contract",
    "SagaStoreContract": "lexigram.events.testing.saga_store_contract",
    "SnapshotStoreContract": "lexigram.events.testing.snapshot_store_contract",
    "SubjectKeyStoreContract": "lexigram.events.testing.subject_key_store_contract",
}


def __getattr__(name: str) -> Any:
    module = _LAZY.get(name)
    if module is None:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    value = getattr(importlib.import_module(module), name)
    globals()[name] = value
    return value
