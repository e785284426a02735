"""Errors of the dependency-injection container, the module graph and the application lifecycle."""

from __future__ import annotations

from collections.abc import Hashable, Sequence
from dataclasses import dataclass
from typing import Literal

from lexigram.contracts.exceptions import ConfigurationError, LexigramError

__all__ = [
    "CircularDependencyError",
    "LifecycleError",
    "ModuleDuplicateError",
    "ProviderFailure",
    "RegistrationError",
    "ResolutionError",
    "ShutdownError",
    "describe_token",
]


def describe_token(token: Hashable) -> str:
    """A readable name for a container token: the qualified name of a class, else its repr."""
    name = getattr(token, "__qualname__", None)
    return name if isinstance(name, str) else repr(token)


class ResolutionError(LexigramError):
    """The container could not build what was asked for.

    ``token`` is what could not be resolved; ``owner`` and ``parameter`` name the class (or
    factory) and the ``__init__`` parameter that needed it, when there is one.
    """

    code = "LEX-500"

    def __init__(
        self,
        message: str,
        *,
        token: Hashable | None = None,
        owner: str | None = None,
        parameter: str | None = None,
    ) -> None:
        super().__init__(
            message,
            details={"token": describe_token(token), "owner": owner, "parameter": parameter},
        )
        self.token = token
        self.owner = owner
        self.parameter = parameter


class CircularDependencyError(ResolutionError):
    """Building a token needs the token itself; ``cycle`` lists the tokens around the loop."""

    code = "LEX-501"

    def __init__(self, cycle: Sequence[Hashable]) -> None:
        path = " -> ".join(describe_token(token) for token in cycle)
        super().__init__(f"circular dependency: {path}", token=cycle[0] if cycle else None)
        self.cycle = tuple(cycle)


class RegistrationError(ConfigurationError):
    """A token was registered twice with different bindings."""

    code = "LEX-502"


class ModuleDuplicateError(ConfigurationError):
    """Two different dynamic modules that must be unique (e.g. two ``configure()``) meet in one graph."""

    code = "LEX-503"


class LifecycleError(LexigramError):
    """An application or provider was used out of order (started twice, stopped before start)."""

    code = "LEX-510"


@dataclass(frozen=True, slots=True)
class ProviderFailure:
    """A lifecycle provider that raised, in which phase, and the exception."""

    provider: str
    phase: Literal["register", "boot", "shutdown"]
    error: Exception


class ShutdownError(LifecycleError):
    """One or more providers failed to shut down; every other provider was still shut down."""

    code = "LEX-511"

    def __init__(self, failures: Sequence[ProviderFailure]) -> None:
        summary = "; ".join(f"{f.provider}: {type(f.error).__name__}: {f.error}" for f in failures)
        super().__init__(f"{len(failures)} provider(s) failed to shut down: {summary}")
        self.failures = tuple(failures)
