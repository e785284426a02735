"""``PostgresPool``: the connection pool behind the PostgreSQL stores, which several stores may share."""

from __future__ import annotations

import asyncio
import time
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

from lexigram.contracts.exceptions import ConfigurationError
from lexigram.events.config import PostgresEventStoreConfig
from lexigram.events.exceptions import EventStoreConnectionError
from lexigram.events.stores.postgres.driver import (
    ConnectionLike,
    PoolLike,
    ServerAddress,
    connection_failure,
    load_asyncpg,
)

__all__ = ["PostgresPool"]

_STALE_AFTER = 60.0
"""Seconds a kept connection may sit unused before it goes back to asyncpg's pool."""


async def _keep_session(connection: Any) -> None:
    """Pool reset hook: the stores leave no session state behind, so nothing needs resetting.

    asyncpg still rolls back a transaction left open before this hook runs. Skipping its default
    reset query saves one round trip every time a connection goes back to the pool.
    """
    return


class PostgresPool:
    """An ``asyncpg`` pool opened on first use and closed when the last store using it closes.

    Built from a ``PostgresEventStoreConfig`` it opens its own pool with the configured ``dsn``,
    ``pool_min_size``, ``pool_max_size`` and ``command_timeout`` (which also bounds connecting).
    Built around an ``asyncpg.Pool`` you opened (``borrowed=``), it uses that pool as it is and never
    closes it; the config's pool settings then do not apply.

    An event store and a snapshot store can share one ``PostgresPool`` (pass it as their
    ``provider``): each store's ``connect()`` registers it as a user and each ``close()`` releases it,
    so the pool closes with the last store.

    An owned pool keeps the connections its stores give back acquired, ready for the next
    operation (up to ``pool_max_size``, newest first). Borrowing one then costs a list pop instead
    of asyncpg's acquire and release, which run timers and a shielded task each time: measured on
    a single-event append, that was about 70 µs of client CPU per operation, a third of the
    store's whole cost. A connection is handed back to asyncpg (which rolls back, waits out a
    cancelled query, or discards a broken connection) whenever the block raised, left a
    transaction open or the connection closed, and when it sat unused for longer than
    ``_STALE_AFTER`` seconds, so asyncpg's idle-connection expiry still applies. While any block
    waits in asyncpg's acquire, finished connections go straight back to asyncpg so the waiters get
    them (keeping them would starve the waiters once the pool is at its maximum size). A borrowed pool is
    used as it is: every block acquires and releases.
    """

    def __init__(self, config: PostgresEventStoreConfig, *, borrowed: PoolLike | None = None) -> None:
        self.driver: Any = load_asyncpg()
        self.config = config
        if borrowed is None:
            if config.dsn is None:
                raise ConfigurationError(
                    "PostgresEventStoreConfig.dsn is not set: give the store a dsn "
                    "(postgresql://user:password@host:port/database) or an open asyncpg pool as provider"
                )
            if config.pool_min_size > config.pool_max_size:
                raise ConfigurationError(
                    f"pool_min_size ({config.pool_min_size}) is larger than pool_max_size "
                    f"({config.pool_max_size})"
                )
            self.server = ServerAddress.from_dsn(config.dsn.get_secret_value())
        else:
            self.server = ServerAddress("(provided pool)", "-", "-", "-")
        self.owned = borrowed is None
        self._pool: PoolLike | None = borrowed
        self._users = 0
        self._closed = False
        self._opening = asyncio.Lock()
        self._idle: list[tuple[Any, float]] = []
        """Connections of an owned pool kept acquired between blocks, with when they were given back."""
        self._waiting = 0
        """Blocks waiting in asyncpg's acquire: while any wait, finished connections go back to asyncpg."""

    @property
    def command_timeout(self) -> float | None:
        """The statement time limit of an owned pool (None for a borrowed one)."""
        return self.config.command_timeout if self.owned else None

    @property
    def is_open(self) -> bool:
        """True while connections can be borrowed."""
        return self._pool is not None and not self._closed

    async def attach(self) -> None:
        """Register one more store as a user, opening an owned pool when it is not open yet."""
        async with self._opening:
            if self.owned and self._pool is None:
                self._pool = await self._open()
            self._closed = False
            self._users += 1

    async def detach(self) -> None:
        """Release one store; an owned pool closes when its last user detaches."""
        async with self._opening:
            self._users = max(self._users - 1, 0)
            if self._users:
                return
            self._closed = True
            if self.owned and self._pool is not None:
                pool, self._pool = self._pool, None
                await self._give_back_idle(pool)
                await self._close(pool)

    @asynccontextmanager
    async def connection(self) -> AsyncIterator[ConnectionLike]:
        """Borrow a connection for the block."""
        pool = self._pool
        if pool is None or self._closed:
            raise EventStoreConnectionError(
                f"the PostgreSQL pool for {self.server} is closed; call connect() on the store first"
            )
        if not self.owned:
            async with pool.acquire() as connection:
                yield connection
            return
        owned: Any = pool
        connection = await self._take(owned)
        try:
            yield connection
        except BaseException:
            await owned.release(connection)
            raise
        if (
            self._pool is owned
            and not self._waiting
            and not (connection.is_closed() or connection.is_in_transaction())
        ):
            self._idle.append((connection, time.monotonic()))
        else:
            await owned.release(connection)

    async def open_dedicated(self) -> Any:
        """A connection that stays out of the pool until ``close_dedicated`` (for ``LISTEN``).

        An owned pool opens a new connection from the dsn, so the pool keeps every slot; a
        borrowed pool lends one of its connections for as long as it is held.
        """
        if not self.owned:
            pool: Any = self._pool
            return await pool.acquire()
        dsn = self.config.dsn
        assert dsn is not None
        timeout = self.config.command_timeout
        return await self.driver.connect(dsn.get_secret_value(), timeout=timeout, command_timeout=timeout)

    async def close_dedicated(self, connection: Any) -> None:
        """Close a connection from ``open_dedicated`` (or give it back to a borrowed pool); never raises."""
        try:
            if not self.owned:
                pool: Any = self._pool
                await pool.release(connection)
            else:
                await asyncio.wait_for(connection.close(), timeout=self.config.command_timeout)
        except Exception:  # the connection is broken or the pool is gone: nothing more to release
            connection.terminate()

    async def _take(self, pool: Any) -> Any:
        """A kept connection (the most recently used), or one acquired from asyncpg."""
        idle = self._idle
        while idle:
            connection, since = idle.pop()
            if time.monotonic() - since < _STALE_AFTER:
                return connection
            await pool.release(connection)  # asyncpg decides whether it has been idle too long
        self._waiting += 1
        try:
            return await pool.acquire()
        finally:
            self._waiting -= 1

    async def _give_back_idle(self, pool: Any) -> None:
        idle, self._idle = self._idle, []
        for connection, _since in idle:
            await pool.release(connection)

    async def _open(self) -> PoolLike:
        dsn = self.config.dsn
        assert dsn is not None
        config, driver = self.config, self.driver
        try:
            pool: PoolLike = await driver.create_pool(
                dsn.get_secret_value(),
                min_size=config.pool_min_size,
                max_size=config.pool_max_size,
                command_timeout=config.command_timeout,
                timeout=config.command_timeout,
                reset=_keep_session,
            )
        except (OSError, TimeoutError, ValueError, driver.PostgresError, driver.InterfaceError) as exc:
            raise connection_failure(self.server, exc) from exc
        return pool

    async def _close(self, pool: PoolLike) -> None:
        try:
            await asyncio.wait_for(pool.close(), timeout=self.config.command_timeout)
        except TimeoutError:
            pool.terminate()
