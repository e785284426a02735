"""Contracts shared by lexigram packages: protocols, message base classes, results and errors."""

from lexigram.contracts.core.result import Err, Ok, Result
from lexigram.contracts.exceptions import (
    ConfigurationError,
    DomainError,
    EventError,
    InfrastructureError,
    InvalidMessageError,
    LexigramError,
    ValidationError,
)

__all__ = [
    "ConfigurationError",
    "DomainError",
    "Err",
    "EventError",
    "InfrastructureError",
    "InvalidMessageError",
    "LexigramError",
    "Ok",
    "Result",
    "ValidationError",
]
