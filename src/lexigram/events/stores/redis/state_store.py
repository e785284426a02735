"""``RedisStateStore``: the redis-py implementation of ``StateStoreProtocol``."""

from __future__ import annotations

import hashlib
from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

from pydantic import SecretStr

from lexigram.contracts.exceptions import ConfigurationError
from lexigram.contracts.state import ScriptArgument, StateStoreProtocol
from lexigram.events.exceptions import EventStoreConnectionError, EventStoreError
from lexigram.events.stores.urls import redact_url

if TYPE_CHECKING:
    from redis.asyncio import Redis

__all__ = ["RedisStateStore"]

_EXTRA = "pip install 'lexigram-events[redis]'"


def _require_redis() -> Any:
    try:
        import redis.asyncio
    except ImportError as exc:
        raise ConfigurationError(f"the Redis stores need the redis package: {_EXTRA}") from exc
    return redis


class RedisStateStore:
    """A Redis server reached with redis-py's asyncio client.

    Example::

        state_store = RedisStateStore("redis://127.0.0.1:6379/0")
        store = RedisEventStore(state_store, namespace="myapp:events")
        ...
        await state_store.close()

    The client is created on first use, on the running event loop, and ``close()`` releases it (a
    later call opens a new one). ``client_options`` go to ``redis.asyncio.Redis.from_url``. Scripts
    run with ``EVALSHA``; the first call of a script on a server loads it. Errors name the URL with
    its password masked.
    """

    def __init__(self, url: str | SecretStr, **client_options: Any) -> None:
        self._redis = _require_redis()
        secret = url.get_secret_value() if isinstance(url, SecretStr) else url
        if not isinstance(secret, str) or not secret.startswith(("redis://", "rediss://", "unix://")):
            raise ConfigurationError(
                "the Redis URL must start with redis://, rediss:// or unix:// "
                f"(got {redact_url(secret) if isinstance(secret, str) else type(secret).__name__})"
            )
        self._url = secret
        self.display_url = redact_url(secret)
        """The URL with its password masked, for messages and logs."""
        self._options = client_options
        self._client: Redis | None = None
        self._shas: dict[str, str] = {}

    def __repr__(self) -> str:
        return f"RedisStateStore({self.display_url!r})"

    @property
    def client(self) -> Redis:
        """The redis-py client (created on first use)."""
        if self._client is None:
            self._client = self._redis.asyncio.Redis.from_url(self._url, **self._options)
        return self._client

    async def connect(self) -> None:
        """Check that the server answers (``PING``)."""
        try:
            await self.client.ping()
        except self._redis.exceptions.RedisError as exc:
            raise self._translate(exc) from exc

    async def get(self, key: str) -> bytes | None:
        """Return the string value at ``key``, or None."""
        try:
            value: bytes | str | None = await self.client.get(key)
        except self._redis.exceptions.RedisError as exc:
            raise self._translate(exc) from exc
        return value.encode() if isinstance(value, str) else value

    async def run_script(self, script: str, keys: Sequence[str], args: Sequence[ScriptArgument] = ()) -> Any:
        """Run a Lua script atomically (``EVALSHA``, loading it first when the server lacks it)."""
        client = self.client
        sha = self._shas.get(script)
        if sha is None:
            sha = self._shas[script] = hashlib.sha1(script.encode(), usedforsecurity=False).hexdigest()
        try:
            try:
                return await client.evalsha(sha, len(keys), *keys, *args)
            except self._redis.exceptions.NoScriptError:
                return await client.eval(script, len(keys), *keys, *args)
        except self._redis.exceptions.RedisError as exc:
            raise self._translate(exc) from exc

    async def close(self) -> None:
        """Close the client and its connections."""
        client, self._client = self._client, None
        if client is not None:
            await client.aclose()

    def _translate(self, exc: Exception) -> EventStoreError:
        errors = self._redis.exceptions
        if isinstance(exc, errors.AuthenticationError):
            return EventStoreConnectionError(
                f"Redis at {self.display_url} refused the credentials ({exc}); check the user and "
                "password in the URL"
            )
        if isinstance(exc, errors.ConnectionError | errors.TimeoutError):
            return EventStoreConnectionError(
                f"cannot reach Redis at {self.display_url} ({exc}); check that the server runs and the "
                "URL is right"
            )
        return EventStoreError(f"Redis at {self.display_url} rejected a command: {exc}")


if TYPE_CHECKING:

    def _satisfies_the_protocol(store: RedisStateStore) -> StateStoreProtocol:
        return store
