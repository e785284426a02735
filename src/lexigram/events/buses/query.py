"""``QueryBusImpl``: routes each query to its one handler, with optional result caching.

::

    bus = QueryBus()
    bus.register(GetOrdersByCustomer, orders_by_customer)
    orders = await bus.execute(GetOrdersByCustomer(customer_id="cust-123", status="pending"))

Results of handlers decorated ``@query_handler(Q, cacheable=True, cache_ttl=N)`` are cached (see
``query_cache``); the cache sits innermost, so middleware still sees every call.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Iterable
from typing import Any, ClassVar

from lexigram.contracts.core.result import Err
from lexigram.events.buses.invocation import ResolvedHandler
from lexigram.events.buses.query_cache import (
    MISS,
    QueryResultCache,
    cache_key_function,
    cache_policy,
)
from lexigram.events.buses.routing import SingleHandlerBus, guard_handler
from lexigram.events.config import QueryBusConfig
from lexigram.events.exceptions import QueryExecutionError
from lexigram.events.middleware.base import MiddlewareCallable, NextHandler

__all__ = ["QueryBus", "QueryBusImpl"]


def _query_failed(query_type: str, error: str) -> QueryExecutionError:
    return QueryExecutionError(query_type=query_type, error=error)


class QueryBusImpl(SingleHandlerBus):
    """The in-process query bus: exactly one handler per query type, looked up by exact type.

    ``config.timeout_seconds`` bounds every handler call (``QueryExecutionError``, "timed out");
    ``config.cache_max_entries`` and ``config.default_cache_ttl_seconds`` govern result caching.
    """

    _role: ClassVar[str] = "query"
    _verb: ClassVar[str] = "execute"

    def __init__(
        self,
        middlewares: Iterable[MiddlewareCallable] | None = None,
        config: QueryBusConfig | None = None,
    ) -> None:
        super().__init__(middlewares)
        self.config = config if config is not None else QueryBusConfig()
        self._cache = QueryResultCache(self.config)

    async def execute(self, query: Any) -> Any:
        """Run ``query`` through the middleware and its handler (or the cache); return the result."""
        route = self._routes.get(type(query))
        if route is None:
            raise self._no_route(query)
        return await route(query)

    def unregister(self, message_type: type) -> bool:
        """Remove the handler of ``message_type`` and its cached results; True when there was one."""
        self._cache.clear(message_type)
        return super().unregister(message_type)

    def clear_cache(self, query_type: type | None = None) -> int:
        """Drop cached results, all or those of one query class; return how many were dropped."""
        return self._cache.clear(query_type)

    def _terminal(
        self, message_type: type, resolved: ResolvedHandler, call: Callable[[Any], Awaitable[Any]]
    ) -> NextHandler:
        guarded = guard_handler(call, self.config, _query_failed)
        policy = cache_policy(resolved.original)
        if not policy.cacheable:
            return guarded
        cache, ttl, key_of = self._cache, policy.ttl, cache_key_function(message_type)

        async def execute_cached(query: Any) -> Any:
            if not cache.enabled or type(query) is not message_type:
                return await guarded(query)
            key = key_of(query)
            try:
                hit = cache.get(key)
            except TypeError:  # an unhashable payload value: such queries are not cached
                return await guarded(query)
            if hit is not MISS:
                return hit
            result = await guarded(query)
            if not isinstance(result, Err):
                cache.put(key, result, ttl)
            return result

        return execute_cached


QueryBus = QueryBusImpl
"""The query bus; the same class as ``QueryBusImpl``."""
