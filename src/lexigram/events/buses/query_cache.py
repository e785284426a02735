"""Caching of query results for handlers declared ``@query_handler(Q, cacheable=True)``.

A result is keyed by the query class and its payload fields (never by ``id``, ``timestamp`` or
``metadata``), kept for the handler's ``cache_ttl`` (else ``QueryBusConfig.default_cache_ttl_seconds``),
and evicted least-recently-used beyond ``cache_max_entries``. A query whose payload holds an
unhashable value (a list, a dict) is simply not cached; neither is an ``Err`` result.
"""

from __future__ import annotations

import dataclasses
import operator
import time
from collections import OrderedDict
from collections.abc import Callable, Hashable
from typing import Any, Final

from lexigram.contracts.messages import MessageModel, message_fields, payload_fields
from lexigram.events.config import QueryBusConfig
from lexigram.events.decorators import declared_handler_info, get_handler_info

__all__ = ["MISS", "CachePolicy", "QueryResultCache", "cache_key_function", "cache_policy"]

MISS: Final = object()
"""Returned by ``QueryResultCache.get`` when there is no fresh entry."""

_ENVELOPE_FIELDS = frozenset({"id", "timestamp", "metadata"})


@dataclasses.dataclass(frozen=True, slots=True)
class CachePolicy:
    """How a handler's results are cached: ``ttl`` None means the bus default."""

    cacheable: bool = False
    ttl: float | None = None


def cache_policy(handler: Any) -> CachePolicy:
    """Read ``cacheable``/``cache_ttl`` from the handler's ``@query_handler`` metadata.

    The decoration may sit on the handler itself, on its class, or on the function of a bound method.
    """
    candidates = (handler, type(handler), getattr(handler, "__func__", None))
    for candidate in candidates:
        if candidate is None:
            continue
        info = get_handler_info(candidate) or declared_handler_info(candidate)
        if info is not None and info.handler_type == "query":
            ttl = info.metadata.get("cache_ttl")
            return CachePolicy(bool(info.metadata.get("cacheable")), None if ttl is None else float(ttl))
    return CachePolicy()


def _free_form_key(base: frozenset[str]) -> Callable[[Any], Hashable]:
    def payload_items(query: Any) -> Hashable:
        return tuple(sorted((k, v) for k, v in vars(query).items() if k not in base))

    return payload_items


def cache_key_function(query_type: type) -> Callable[[Any], Hashable]:
    """Build the function giving a query's cache key: its class and its payload values."""
    if issubclass(query_type, MessageModel):
        names: tuple[str, ...] = payload_fields(query_type)
        if not names and query_type.__free_form__:
            base = frozenset(spec.name for spec in message_fields(query_type))
            values = _free_form_key(base)
            return lambda query: (query_type, values(query))
    elif dataclasses.is_dataclass(query_type):
        names = tuple(f.name for f in dataclasses.fields(query_type) if f.name not in _ENVELOPE_FIELDS)
    else:
        values = _free_form_key(_ENVELOPE_FIELDS)
        return lambda query: (query_type, values(query))
    if not names:
        return lambda query: (query_type,)
    getter = operator.attrgetter(*names)
    return lambda query: (query_type, getter(query))


class QueryResultCache:
    """Query results, least-recently-used first out, each with an optional expiry time."""

    def __init__(self, settings: QueryBusConfig) -> None:
        self._settings = settings
        self._entries: OrderedDict[Hashable, tuple[Any, float | None]] = OrderedDict()

    def __len__(self) -> int:
        return len(self._entries)

    @property
    def enabled(self) -> bool:
        """False when ``cache_max_entries`` is 0."""
        return self._settings.cache_max_entries > 0

    def get(self, key: Hashable) -> Any:
        """Return the fresh cached result for ``key``, or ``MISS``."""
        entry = self._entries.get(key)
        if entry is None:
            return MISS
        value, expires_at = entry
        if expires_at is not None and time.monotonic() >= expires_at:
            del self._entries[key]
            return MISS
        self._entries.move_to_end(key)
        return value

    def put(self, key: Hashable, value: Any, ttl: float | None) -> None:
        """Store a result; ``ttl`` None uses the bus default (None there: until evicted)."""
        if ttl is None:
            ttl = self._settings.default_cache_ttl_seconds
        if ttl is not None and ttl <= 0:
            return
        self._entries[key] = (value, None if ttl is None else time.monotonic() + ttl)
        self._entries.move_to_end(key)
        limit = self._settings.cache_max_entries
        while len(self._entries) > limit:
            self._entries.popitem(last=False)

    def clear(self, query_type: type | None = None) -> int:
        """Drop every entry, or those of one query class; return how many were dropped."""
        if query_type is None:
            count = len(self._entries)
            self._entries.clear()
            return count
        doomed = [key for key in self._entries if isinstance(key, tuple) and key[0] is query_type]
        for key in doomed:
            del self._entries[key]
        return len(doomed)
