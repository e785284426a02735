"""``SagaStepResult``: what a saga step reports back, success (with data) or failure (with an error)."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from lexigram.events.exceptions import SagaValidationError

__all__ = ["SagaStepResult"]


@dataclass(frozen=True, slots=True)
class SagaStepResult:
    """The outcome of a step.

    ``SagaStepResult.success(data={...})`` merges ``data`` into ``ctx.data`` (returning None from a
    step is a success too). ``SagaStepResult.failure(error)`` fails the step without retrying it:
    the step decided, so the saga compensates at once. An exception or a timeout, on the other
    hand, is retried when the step allows retries.
    """

    succeeded: bool
    data: Mapping[str, Any] | None = None
    error: str | None = None

    @classmethod
    def success(cls, data: Mapping[str, Any] | None = None) -> SagaStepResult:
        """A successful step; ``data`` (a mapping with str keys) is merged into the saga's data."""
        if data is not None and not isinstance(data, Mapping):
            raise SagaValidationError(
                "SagaStepResult.success(data=...) takes a mapping (a dict) or None, got "
                f"{type(data).__name__}"
            )
        if data is not None and not all(isinstance(key, str) for key in data):
            raise SagaValidationError("SagaStepResult.success(data=...) needs str keys (saga data is JSON)")
        return cls(True, None if data is None else dict(data), None)

    @classmethod
    def failure(cls, error: str | BaseException) -> SagaStepResult:
        """A failed step: the saga compensates the steps completed before it."""
        if isinstance(error, BaseException):
            text = f"{type(error).__name__}: {error}"
        elif isinstance(error, str):
            text = error
        else:
            raise SagaValidationError(
                f"SagaStepResult.failure(error) takes a str or an exception, got {type(error).__name__}"
            )
        return cls(False, None, text or "the step reported a failure")

    @property
    def failed(self) -> bool:
        """True for a failure."""
        return not self.succeeded
