"""lexigram: the application shell (``Application``) and shared result types."""

from lexigram.contracts.core.result import Err, Ok, Result

__all__ = ["Err", "Ok", "Result"]
