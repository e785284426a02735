"""Middleware for the three buses: ``async (message, next_handler) -> result`` callables.

The six built-in middlewares, in the order the architecture recommends (outermost first)::

    (bus.use(ValidationMiddleware())
        .use(TransactionMiddleware())
        .use(LoggingMiddleware())
        .use(RetryMiddleware())
        .use(MetricsMiddleware())
        .use(CircuitBreakerMiddleware()))

Each works with no arguments and on every bus. Write your own by subclassing
``AbstractMiddleware`` or with any async callable of the same shape.
"""

from lexigram.events.middleware.base import AbstractMiddleware, MiddlewareCallable, NextHandler
from lexigram.events.middleware.circuit_breaker import CircuitBreakerMiddleware, CircuitState
from lexigram.events.middleware.logs import LoggingMiddleware
from lexigram.events.middleware.metrics import MessageMetrics, MetricsMiddleware
from lexigram.events.middleware.retry import RetryMiddleware, is_transient
from lexigram.events.middleware.transaction import TransactionMiddleware, UnitOfWorkFactory
from lexigram.events.middleware.validation import ValidationMiddleware, Validator

__all__ = [
    "AbstractMiddleware",
    "CircuitBreakerMiddleware",
    "CircuitState",
    "LoggingMiddleware",
    "MessageMetrics",
    "MetricsMiddleware",
    "MiddlewareCallable",
    "NextHandler",
    "RetryMiddleware",
    "TransactionMiddleware",
    "UnitOfWorkFactory",
    "ValidationMiddleware",
    "Validator",
    "is_transient",
]
