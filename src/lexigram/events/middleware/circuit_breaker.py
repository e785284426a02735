"""``CircuitBreakerMiddleware``: stop calling a failing handler for a while, then probe it.

One circuit per message class. It starts *closed*; after ``failure_threshold`` failures in a row
it *opens* and every call fails fast with ``CircuitOpenError``. Once ``recovery_timeout`` seconds
have passed it is *half-open*: one call goes through as a probe (others still fail fast). A
successful probe closes the circuit, a failed one opens it again.

A failure is an exception for which ``is_failure`` is true: by default anything but domain and
validation errors, which show the handler is reachable and working. Returned results (``Err``
included) never count.
"""

from __future__ import annotations

import enum
import time
from collections.abc import Callable
from typing import Any

from lexigram.contracts.exceptions import DomainError, ValidationError
from lexigram.events.exceptions import CircuitOpenError
from lexigram.events.middleware.base import AbstractMiddleware, NextHandler

__all__ = ["CircuitBreakerMiddleware", "CircuitState"]


class CircuitState(enum.StrEnum):
    """The state of one circuit."""

    CLOSED = "closed"
    OPEN = "open"
    HALF_OPEN = "half_open"


def _is_outage(error: BaseException) -> bool:
    return not isinstance(error, DomainError | ValidationError)


class _Circuit:
    __slots__ = ("failures", "opened_at", "probing", "state")

    def __init__(self) -> None:
        self.state = CircuitState.CLOSED
        self.failures = 0
        self.opened_at = 0.0
        self.probing = False


class CircuitBreakerMiddleware(AbstractMiddleware[Any, Any]):
    """Fail fast with ``CircuitOpenError`` for message classes whose handler keeps failing."""

    def __init__(
        self,
        failure_threshold: int = 5,
        recovery_timeout: float = 30.0,
        *,
        is_failure: Callable[[BaseException], bool] | None = None,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        if failure_threshold < 1:
            raise ValueError(f"failure_threshold must be at least 1, got {failure_threshold}")
        if recovery_timeout < 0:
            raise ValueError(f"recovery_timeout must not be negative, got {recovery_timeout}")
        self.failure_threshold = failure_threshold
        self.recovery_timeout = recovery_timeout
        self._is_failure = is_failure if is_failure is not None else _is_outage
        self._clock = clock
        self._circuits: dict[type, _Circuit] = {}

    def state(self, message_type: type) -> CircuitState:
        """The state of the circuit of ``message_type`` (OPEN turns HALF_OPEN once it may probe)."""
        circuit = self._circuits.get(message_type)
        if circuit is None:
            return CircuitState.CLOSED
        if circuit.state is CircuitState.OPEN and self._retry_after(circuit) <= 0:
            return CircuitState.HALF_OPEN
        return circuit.state

    def reset(self, message_type: type | None = None) -> None:
        """Close one circuit, or all of them."""
        if message_type is None:
            self._circuits.clear()
        else:
            self._circuits.pop(message_type, None)

    def _retry_after(self, circuit: _Circuit) -> float:
        return circuit.opened_at + self.recovery_timeout - self._clock()

    async def __call__(self, message: Any, next_handler: NextHandler) -> Any:
        """Fail fast while the circuit is open; otherwise call through and track the outcome."""
        message_type = type(message)
        circuit = self._circuits.get(message_type)
        if circuit is None:
            circuit = self._circuits[message_type] = _Circuit()
        if circuit.state is CircuitState.OPEN:
            wait = self._retry_after(circuit)
            if wait > 0:
                raise CircuitOpenError(message_type.__name__, wait)
            circuit.state = CircuitState.HALF_OPEN
        probe = circuit.state is CircuitState.HALF_OPEN
        if probe:
            if circuit.probing:
                raise CircuitOpenError(message_type.__name__, 0.0)
            circuit.probing = True
        try:
            result = await next_handler(message)
        except Exception as exc:
            if self._is_failure(exc):
                self._failed(circuit)
            else:
                self._succeeded(circuit)
            raise
        finally:
            if probe:
                circuit.probing = False
        self._succeeded(circuit)
        return result

    def _failed(self, circuit: _Circuit) -> None:
        circuit.failures += 1
        if circuit.state is CircuitState.HALF_OPEN or circuit.failures >= self.failure_threshold:
            circuit.state = CircuitState.OPEN
            circuit.opened_at = self._clock()

    def _succeeded(self, circuit: _Circuit) -> None:
        circuit.failures = 0
        circuit.state = CircuitState.CLOSED
