"""``StateStoreProtocol``: what an event store needs from a key-value server such as Redis.

An event store keeps its data in the server's own structures and changes them only through scripts
that the server runs atomically: no other command runs between the first and the last step of a
script, so a version check and the writes it guards cannot be interleaved with another client's.
That is the whole requirement, and it is what Redis (and Valkey, KeyDB and other servers speaking
its protocol) offers with ``EVAL``. ``lexigram.events.stores.redis.RedisStateStore`` implements it
with redis-py.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any, Protocol, runtime_checkable

__all__ = ["ScriptArgument", "StateStoreProtocol"]

ScriptArgument = str | bytes | int
"""A key or argument passed to a server-side script (the server receives it as a string)."""


@runtime_checkable
class StateStoreProtocol(Protocol):
    """A key-value server that reads single values and runs Lua scripts atomically."""

    async def get(self, key: str) -> bytes | None:
        """Return the string value stored at ``key``, or None when the key does not exist."""
        ...

    async def run_script(self, script: str, keys: Sequence[str], args: Sequence[ScriptArgument] = ()) -> Any:
        """Run a Lua script atomically and return its reply.

        ``keys`` are the keys the script touches (``KEYS`` in the script), ``args`` its other
        arguments (``ARGV``). Replies are the server's: integers, bytes, None and nested lists. The
        implementation may cache scripts (``EVALSHA``); callers pass the source every time.
        """
        ...

    async def close(self) -> None:
        """Release the connection to the server."""
        ...
