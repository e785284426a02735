"""``@saga_step``: declares a method of a ``SagaBase`` subclass as a step, with its compensation.

A step is ``async def step(self, ctx)``. Its options: ``compensation`` (a callable taking
``(saga, ctx)`` or ``(ctx)``, sync or async, or the name of a method), ``retries`` (further
attempts after an exception or a timeout), ``timeout`` (seconds per attempt) and ``backoff`` (the
pause before the first retry, doubling for each further one, 30 s at most). A compensation runs
with the same retries, timeout and backoff as its step.
"""

from __future__ import annotations

import inspect
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, TypeVar, overload

from lexigram.events.exceptions import SagaDefinitionError
from lexigram.events.sagas.context import SagaContext

__all__ = ["STEP_ATTRIBUTE", "MAX_BACKOFF", "StepDefinition", "saga_step"]

F = TypeVar("F", bound=Callable[..., Any])

STEP_ATTRIBUTE = "__saga_step__"
"""The attribute ``@saga_step`` sets on the function it decorates."""

MAX_BACKOFF = 30.0
"""The longest pause between two attempts, in seconds."""

Compensation = Callable[..., Any] | str


@dataclass(frozen=True, slots=True)
class StepDefinition:
    """A declared step: its function and options (its name is the method's name)."""

    name: str
    function: Callable[..., Any]
    compensation: Compensation | None
    retries: int
    timeout: float | None
    backoff: float

    def pause(self, failed_attempts: int) -> float:
        """Seconds to wait after ``failed_attempts`` attempts failed."""
        return float(min(self.backoff * 2 ** max(failed_attempts - 1, 0), MAX_BACKOFF))

    async def run(self, saga: Any, ctx: SagaContext) -> Any:
        """Call the step on ``saga`` and return what it returned."""
        return await _settle(self.function(saga, ctx))

    async def compensate(self, saga: Any, ctx: SagaContext) -> None:
        """Call the compensation (nothing to do when the step has none)."""
        compensation = self.compensation
        if compensation is None:
            return
        if isinstance(compensation, str):
            await _settle(getattr(saga, compensation)(ctx))
        elif _positional_count(compensation) == 2:
            await _settle(compensation(saga, ctx))
        else:
            await _settle(compensation(ctx))


async def _settle(value: Any) -> Any:
    return await value if inspect.isawaitable(value) else value


def _positional_count(function: Callable[..., Any]) -> int:
    try:
        parameters = inspect.signature(function).parameters.values()
    except (TypeError, ValueError):
        return 1
    kinds = (inspect.Parameter.POSITIONAL_ONLY, inspect.Parameter.POSITIONAL_OR_KEYWORD)
    return sum(1 for p in parameters if p.kind in kinds and p.default is inspect.Parameter.empty)


def _check_options(
    compensation: Any, retries: Any, timeout: Any, backoff: Any
) -> tuple[int, float | None, float]:
    where = "@saga_step"
    if compensation is not None and not isinstance(compensation, str) and not callable(compensation):
        raise SagaDefinitionError(
            f"{where}: compensation must be a callable taking (saga, ctx) or (ctx), or a method name, "
            f"got {type(compensation).__name__}"
        )
    if callable(compensation) and _positional_count(compensation) not in (1, 2):
        raise SagaDefinitionError(
            f"{where}: the compensation {getattr(compensation, '__name__', compensation)!r} must take "
            "(saga, ctx) or (ctx)"
        )
    if isinstance(retries, bool) or not isinstance(retries, int) or retries < 0:
        raise SagaDefinitionError(f"{where}: retries must be an integer >= 0, got {retries!r}")
    if timeout is not None and (
        isinstance(timeout, bool) or not isinstance(timeout, (int, float)) or not timeout > 0
    ):
        raise SagaDefinitionError(
            f"{where}: timeout must be a number of seconds > 0 or None, got {timeout!r}"
        )
    if isinstance(backoff, bool) or not isinstance(backoff, (int, float)) or not backoff >= 0:
        raise SagaDefinitionError(f"{where}: backoff must be a number of seconds >= 0, got {backoff!r}")
    return retries, None if timeout is None else float(timeout), float(backoff)


@overload
def saga_step(function: F, /) -> F: ...


@overload
def saga_step(
    *,
    compensation: Compensation | None = None,
    retries: int = 0,
    timeout: float | None = None,
    backoff: float = 0.1,
) -> Callable[[F], F]: ...


def saga_step(
    function: Any = None,
    /,
    *,
    compensation: Compensation | None = None,
    retries: int = 0,
    timeout: float | None = None,
    backoff: float = 0.1,
) -> Any:
    """Mark a method of a ``SagaBase`` subclass as a step; steps run in declaration order.

    Usable bare (``@saga_step``) or with options
    (``@saga_step(compensation=release, retries=2, timeout=5.0)``). The function is returned
    unchanged, so it can still be called directly.
    """

    checked = _check_options(compensation, retries, timeout, backoff)

    def mark(step: F) -> F:
        if not callable(step):
            raise SagaDefinitionError(f"@saga_step decorates a method, got {type(step).__name__}")
        name = getattr(step, "__name__", repr(step))
        definition = StepDefinition(name, step, compensation, *checked)
        setattr(step, STEP_ATTRIBUTE, definition)
        return step

    if function is not None:
        return mark(function)
    return mark
