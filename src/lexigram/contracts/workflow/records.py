"""Records of saga instances, as saga stores keep them and saga managers hand them back.

A ``SagaRecord`` is one saga instance: what it is (``saga_type``, ``saga_id``, the optional
``correlation_key`` of an event-driven saga), where it stands (``status``, ``steps``, ``data``,
``error``), who drives it (``owner`` until ``lease_expires_at``) and the ``version`` a store checks
on every save, so two processes never both advance one instance.
"""

from __future__ import annotations

import enum
from dataclasses import dataclass, field, replace
from datetime import datetime
from typing import Any

from lexigram.contracts.messages.ids import utc_now

__all__ = ["FINAL_SAGA_STATES", "SagaRecord", "SagaState", "SagaStepRecord", "SagaStepStatus"]


class SagaState(enum.StrEnum):
    """The state of a saga instance.

    NOT_STARTED -> STARTED -> RUNNING -> COMPLETED; after a failed step RUNNING -> COMPENSATING ->
    COMPENSATED (every compensation succeeded) or FAILED (one did not); a saga whose overall
    deadline passed is compensated the same way and ends TIMED_OUT (or FAILED when a compensation
    failed).
    """

    NOT_STARTED = "not_started"
    STARTED = "started"
    RUNNING = "running"
    COMPENSATING = "compensating"
    COMPENSATED = "compensated"
    COMPLETED = "completed"
    FAILED = "failed"
    TIMED_OUT = "timed_out"


FINAL_SAGA_STATES = frozenset(
    {SagaState.COMPLETED, SagaState.COMPENSATED, SagaState.FAILED, SagaState.TIMED_OUT}
)
"""The states a saga never leaves."""


class SagaStepStatus(enum.StrEnum):
    """The state of one step of a saga instance."""

    PENDING = "pending"
    RUNNING = "running"
    COMPLETED = "completed"
    FAILED = "failed"
    COMPENSATED = "compensated"
    COMPENSATION_FAILED = "compensation_failed"


@dataclass(frozen=True, slots=True)
class SagaStepRecord:
    """One step of a saga instance: its name, status, attempts made and last error.

    An event-driven saga records one step per event it handled, with that event's ``event_id``
    (which is how a redelivered event is recognised and skipped).
    """

    name: str
    status: SagaStepStatus = SagaStepStatus.PENDING
    attempts: int = 0
    error: str | None = None
    event_id: str | None = None


@dataclass(frozen=True, slots=True)
class SagaRecord:
    """One saga instance as a saga store keeps it.

    ``version`` is 0 for a record not stored yet; a store's ``create`` stores it as version 1 and
    every ``save`` adds one. ``data`` holds JSON values only (a store rejects anything else).
    """

    saga_id: str
    saga_type: str
    status: SagaState = SagaState.NOT_STARTED
    data: dict[str, Any] = field(default_factory=dict)
    steps: tuple[SagaStepRecord, ...] = ()
    version: int = 0
    correlation_key: str | None = None
    error: str | None = None
    timed_out: bool = False
    owner: str | None = None
    lease_expires_at: datetime | None = None
    deadline: datetime | None = None
    created_at: datetime = field(default_factory=utc_now)
    updated_at: datetime = field(default_factory=utc_now)

    @property
    def is_final(self) -> bool:
        """True once the saga reached a state it never leaves."""
        return self.status in FINAL_SAGA_STATES

    def step(self, name: str) -> SagaStepRecord:
        """The step called ``name``; ``KeyError`` when the saga has none."""
        for step in self.steps:
            if step.name == name:
                return step
        raise KeyError(f"saga {self.saga_type} '{self.saga_id}' has no step named {name!r}")

    def evolve(self, **changes: Any) -> SagaRecord:
        """A copy with ``changes`` applied (records are immutable)."""
        return replace(self, **changes)
