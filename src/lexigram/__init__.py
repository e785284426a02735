"""lexigram: the application shell (``Application``) and shared result types."""

from lexigram.application import Application
from lexigram.contracts.core.result import Err, Ok, Result

__all__ = ["Application", "Err", "Ok", "Result"]
