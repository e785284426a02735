"""Workflow contracts: sagas (process managers), the manager that drives them, and their store.

``SagaProtocol`` and ``SagaManagerProtocol`` are the seeds' extension points; ``SagaStoreProtocol``
with ``SagaRecord``/``SagaStepRecord`` is where saga instances persist (``records``, ``stores``).
"""

from __future__ import annotations

from typing import Any, Protocol

from lexigram.contracts.exceptions import LexigramError
from lexigram.contracts.workflow.records import (
    FINAL_SAGA_STATES,
    SagaRecord,
    SagaState,
    SagaStepRecord,
    SagaStepStatus,
)
from lexigram.contracts.workflow.stores import SagaStoreProtocol

__all__ = [
    "FINAL_SAGA_STATES",
    "SagaManagerProtocol",
    "SagaNotBoundError",
    "SagaProtocol",
    "SagaRecord",
    "SagaState",
    "SagaStepRecord",
    "SagaStepStatus",
    "SagaStoreProtocol",
]


class SagaNotBoundError(LexigramError):
    """A saga tried to dispatch a command before a saga manager bound it to a command bus."""

    code = "LEX-500"


class SagaProtocol(Protocol):
    """A process manager: reacts to events and dispatches commands.

    ``handle`` may return the commands to dispatch, or call ``await self.dispatch(command)``; a saga
    manager binds ``dispatch`` to its command bus when the saga is registered.
    """

    async def handle(self, event: Any) -> list[Any] | None:
        """Handle a domain event; return commands to dispatch (or None)."""
        ...

    async def dispatch(self, command: Any) -> Any:
        """Dispatch a command on the command bus of the manager this saga is registered with."""
        dispatcher = self.__dict__.get("_saga_dispatcher")
        if dispatcher is None:
            raise SagaNotBoundError(
                f"{type(self).__name__}.dispatch() was called before the saga was registered; "
                "register it with SagaManager(command_bus=...).register(saga) first"
            )
        return await dispatcher(command)


class SagaManagerProtocol(Protocol):
    """Routes events to the sagas that handle them."""

    async def process(self, event: Any) -> Any:
        """Process an event through every relevant saga."""
        ...
