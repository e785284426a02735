"""The root of the lexigram exception hierarchy.

Every exception the framework raises derives from ``LexigramError``. The four branches say where a
failure comes from: the domain (``DomainError``), messaging (``EventError``), bad input
(``ValidationError``) or the outside world (``InfrastructureError``).
"""

from __future__ import annotations

from typing import Any

__all__ = [
    "ConfigurationError",
    "DomainError",
    "EventError",
    "InfrastructureError",
    "InvalidMessageError",
    "LexigramError",
    "ValidationError",
]


class LexigramError(Exception):
    """Base class of every error raised by lexigram.

    ``code`` is a stable identifier for the kind of error; ``details`` carries structured context
    for logs and APIs.
    """

    code: str = "LEX-000"

    def __init__(self, message: str = "", *, details: dict[str, Any] | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.details: dict[str, Any] = dict(details or {})

    def __str__(self) -> str:
        return self.message


class DomainError(LexigramError):
    """A business rule was violated."""

    code = "LEX-100"


class EventError(LexigramError):
    """A messaging failure: publishing, dispatching, storing or handling a message."""

    code = "LEX-200"


class ValidationError(LexigramError, ValueError):
    """Input was rejected before any work was done."""

    code = "LEX-300"


class ConfigurationError(ValidationError):
    """A configuration value is missing, unknown or invalid."""

    code = "LEX-301"


class InvalidMessageError(ValidationError, TypeError):
    """A message was built with a missing, unknown or wrongly typed field.

    It is both a ``ValidationError`` and a ``TypeError``, so ``except TypeError`` also catches it.
    """

    code = "LEX-302"


class InfrastructureError(LexigramError):
    """An external system (database, broker, network) failed."""

    code = "LEX-400"
