"""``Result``: a value that is either ``Ok(value)`` or ``Err(error)``."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, Generic, NoReturn, TypeAlias, TypeVar

T = TypeVar("T")
E = TypeVar("E")
U = TypeVar("U")
F = TypeVar("F")

__all__ = ["Err", "Ok", "Result", "UnwrapError"]


class UnwrapError(Exception):
    """Raised when ``unwrap`` is called on an ``Err`` or ``unwrap_err`` on an ``Ok``."""


@dataclass(frozen=True, slots=True)
class Ok(Generic[T]):
    """The success variant of a ``Result``."""

    value: T

    def is_ok(self) -> bool:
        """Return True: this is a success."""
        return True

    def is_err(self) -> bool:
        """Return False: this is not a failure."""
        return False

    def unwrap(self) -> T:
        """Return the value."""
        return self.value

    def unwrap_err(self) -> NoReturn:
        """Raise ``UnwrapError``: an ``Ok`` has no error."""
        raise UnwrapError(f"unwrap_err() called on Ok({self.value!r})")

    def unwrap_or(self, default: Any) -> T:
        """Return the value (the default is ignored)."""
        return self.value

    @property
    def error(self) -> None:
        """Always None for ``Ok``."""
        return None

    def map(self, fn: Callable[[T], U]) -> Ok[U]:
        """Apply ``fn`` to the value."""
        return Ok(fn(self.value))

    def map_err(self, fn: Callable[[Any], Any]) -> Ok[T]:
        """Return self unchanged: there is no error to map."""
        return self


@dataclass(frozen=True, slots=True)
class Err(Generic[E]):
    """The failure variant of a ``Result``."""

    error: E

    def is_ok(self) -> bool:
        """Return False: this is a failure."""
        return False

    def is_err(self) -> bool:
        """Return True: this is a failure."""
        return True

    def unwrap(self) -> NoReturn:
        """Raise the error when it is an exception, otherwise ``UnwrapError``."""
        if isinstance(self.error, BaseException):
            raise self.error
        raise UnwrapError(f"unwrap() called on Err({self.error!r})")

    def unwrap_err(self) -> E:
        """Return the error."""
        return self.error

    def unwrap_or(self, default: U) -> U:
        """Return ``default``."""
        return default

    @property
    def value(self) -> None:
        """Always None for ``Err``."""
        return None

    def map(self, fn: Callable[[Any], Any]) -> Err[E]:
        """Return self unchanged: there is no value to map."""
        return self

    def map_err(self, fn: Callable[[E], F]) -> Err[F]:
        """Apply ``fn`` to the error."""
        return Err(fn(self.error))


Result: TypeAlias = Ok[T] | Err[E]
"""Either ``Ok[T]`` or ``Err[E]``; subscript it as ``Result[T, E]``."""
