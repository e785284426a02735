"""Core value types shared by every lexigram package."""

from lexigram.contracts.core.result import Err, Ok, Result, UnwrapError

__all__ = ["Err", "Ok", "Result", "UnwrapError"]
