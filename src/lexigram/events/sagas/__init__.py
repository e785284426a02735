"""Sagas: orchestrated (``SagaBase`` with ``@saga_step``) and event-driven, with durable saga stores.

``SagaManager`` starts and drives them, resumes the unfinished ones after a restart and routes
events to event-driven sagas; ``InMemorySagaStore`` and ``SqlSagaStore`` (SQLite or PostgreSQL)
keep their state. See docs/sagas.md.
"""

from __future__ import annotations

from lexigram.contracts.workflow.records import SagaRecord, SagaState, SagaStepRecord, SagaStepStatus
from lexigram.events.sagas.base import SagaBase
from lexigram.events.sagas.context import SagaContext, SagaServices
from lexigram.events.sagas.event_driven import EventDrivenSaga, saga_handler
from lexigram.events.sagas.manager import SagaManager
from lexigram.events.sagas.memory_store import InMemorySagaStore
from lexigram.events.sagas.results import SagaStepResult
from lexigram.events.sagas.sql_store import SqlSagaStore
from lexigram.events.sagas.steps import saga_step

__all__ = [
    "EventDrivenSaga",
    "InMemorySagaStore",
    "SagaBase",
    "SagaContext",
    "SagaManager",
    "SagaRecord",
    "SagaServices",
    "SagaState",
    "SagaStepRecord",
    "SagaStepResult",
    "SagaStepStatus",
    "SqlSagaStore",
    "saga_handler",
    "saga_step",
]
