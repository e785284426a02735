"""Which events a plain ``SagaProtocol`` object handles, read from the annotation of its ``handle``."""

from __future__ import annotations

import asyncio
import inspect
import logging
import types
import typing
from collections.abc import AsyncIterator, Hashable
from contextlib import asynccontextmanager
from typing import Any

__all__ = ["KeyedLocks", "accepted_event_types", "command_list"]

logger = logging.getLogger("lexigram.events.sagas")


def accepted_event_types(saga: Any) -> tuple[type, ...] | None:
    """The classes ``saga.handle`` accepts; None means every event.

    A missing annotation, ``Any``, ``object`` or an annotation that cannot be resolved means every
    event; ``A | B`` means either.
    """
    handle = saga.handle
    try:
        hints = typing.get_type_hints(handle)
    except Exception as exc:
        logger.debug("cannot resolve the annotations of %r (%s); it receives every event", handle, exc)
        return None
    parameters = [p for p in inspect.signature(handle).parameters.values() if p.name != "self"]
    if not parameters:
        return None
    hint = hints.get(parameters[0].name)
    if hint is None or hint is Any or hint is object:
        return None
    origin = typing.get_origin(hint)
    options = typing.get_args(hint) if origin in (typing.Union, types.UnionType) else (hint,)
    classes = tuple(typing.get_origin(option) or option for option in options if option is not type(None))
    if not classes or not all(isinstance(option, type) for option in classes):
        return None
    if object in classes:
        return None
    return classes


def command_list(commands: Any) -> list[Any]:
    """What a saga returned as a list of commands: None is none, a list or tuple is many, else one."""
    if commands is None:
        return []
    if isinstance(commands, (list, tuple)):
        return [command for command in commands if command is not None]
    return [commands]


class KeyedLocks:
    """One ``asyncio.Lock`` per key, created on demand and dropped when nobody holds or waits for it."""

    def __init__(self) -> None:
        self._locks: dict[Hashable, tuple[asyncio.Lock, int]] = {}

    @asynccontextmanager
    async def hold(self, key: Hashable) -> AsyncIterator[None]:
        """Hold the lock of ``key`` for the block."""
        lock, users = self._locks.get(key, (asyncio.Lock(), 0))
        self._locks[key] = (lock, users + 1)
        try:
            async with lock:
                yield
        finally:
            lock, users = self._locks[key]
            if users == 1:
                del self._locks[key]
            else:
                self._locks[key] = (lock, users - 1)

    def __len__(self) -> int:
        return len(self._locks)
