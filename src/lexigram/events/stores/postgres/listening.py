"""Hearing the appends of other processes: a ``LISTEN`` connection behind the store's append signal.

``PostgresAppendSignal`` is the ``appends`` signal of a PostgreSQL event store. Appends through
the store raise it directly, like every store's; in addition, the first ``wait()`` starts an
``AppendListener``: a dedicated connection that listens on the events table's channel (see
``notifications``) and raises the signal for every notification another store sent.

Notifications are not queued for a session that is not listening, so whenever the listener
(re)connects it raises the signal once: readers read again and pick up whatever was appended
while nobody listened. A lost connection is reopened with a growing back-off (0.1 s doubling to
5 s); a connection that stops answering is noticed by a periodic ping.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import random
from collections.abc import Callable
from typing import Any, Protocol

from lexigram.events.stores.postgres.driver import describe
from lexigram.events.stores.postgres.notifications import resolve_channel
from lexigram.events.stores.signals import AppendSignal

__all__ = ["AppendListener", "ListenerConnections", "PoolListenerConnections", "PostgresAppendSignal"]

logger = logging.getLogger("lexigram.events.stores.postgres")

_FIRST_RETRY = 0.1
_LAST_RETRY = 5.0
_STABLE_AFTER = 10.0
"""Seconds a connection must have listened for the next reconnection to start at the first delay."""
_PING_EVERY = 30.0
"""Seconds between checks that an idle listening connection still answers."""
_PING_TIMEOUT = 10.0


class ListenerConnections(Protocol):
    """Where the listener gets its dedicated connection and its channel."""

    async def open(self) -> Any:
        """A new dedicated connection (an ``asyncpg.Connection``)."""
        ...

    async def close(self, connection: Any) -> None:
        """Close a connection from ``open``; never raises."""
        ...

    async def channel(self, connection: Any) -> str:
        """The channel to listen on, resolved on ``connection``."""
        ...


class AppendListener:
    """Keeps one connection listening for append notifications, reconnecting when it drops.

    ``on_notified`` is called for every notification whose payload is not ``own_token`` (the
    echo of this store's own appends, which already raised the signal) and once after every
    (re)connection.
    """

    def __init__(
        self, connections: ListenerConnections, on_notified: Callable[[], None], own_token: str
    ) -> None:
        self._connections = connections
        self._on_notified = on_notified
        self._own_token = own_token
        self._task: asyncio.Task[None] | None = None
        self._listening: asyncio.Event | None = None
        self.connections_opened = 0
        """How many times a listening connection was established (for tests and monitoring)."""

    @property
    def running(self) -> bool:
        """True while the listener task runs (listening, or reconnecting)."""
        return self._task is not None and not self._task.done()

    @property
    def listening(self) -> bool:
        """True while a connection is listening."""
        return self.running and self._listening is not None and self._listening.is_set()

    def start(self) -> None:
        """Start listening in the background (nothing happens when already running)."""
        if self.running:
            return
        self._listening = asyncio.Event()
        self._task = asyncio.get_running_loop().create_task(self._listen_forever(), name="append-listener")

    async def wait_listening(self, max_wait: float | None = None) -> bool:
        """Start if needed and wait until a connection listens; False when ``max_wait`` passed first."""
        self.start()
        listening = self._listening
        assert listening is not None
        try:
            async with asyncio.timeout(max_wait):
                await listening.wait()
        except TimeoutError:
            return False
        return True

    async def stop(self) -> None:
        """Stop listening and close the connection. Idempotent."""
        task, self._task = self._task, None
        if task is None or task.done():
            return
        task.cancel()
        await asyncio.gather(task, return_exceptions=True)

    async def _listen_forever(self) -> None:
        loop = asyncio.get_running_loop()
        delay = _FIRST_RETRY
        reported = False
        while True:
            try:
                connection = await self._connections.open()
            except Exception as exc:
                if not reported:
                    reported = True
                    logger.warning("the append listener cannot connect (retrying): %s", describe(exc))
            else:
                reported = False
                opened = loop.time()
                try:
                    await self._listen_on(connection)
                    logger.info("the append listener's connection was closed; reconnecting")
                except Exception as exc:
                    logger.warning("the append listener's connection failed, reconnecting: %s", describe(exc))
                finally:
                    if self._listening is not None:
                        self._listening.clear()
                    await self._connections.close(connection)
                if loop.time() - opened >= _STABLE_AFTER:
                    delay = _FIRST_RETRY
            await asyncio.sleep(delay * random.uniform(0.5, 1.0))
            delay = min(delay * 2, _LAST_RETRY)

    async def _listen_on(self, connection: Any) -> None:
        """Listen until the connection is lost (returns) or fails (raises)."""
        lost = asyncio.Event()

        def on_termination(_connection: Any) -> None:
            lost.set()

        connection.add_termination_listener(on_termination)
        try:
            await self._wait_until_lost(connection, lost)
        finally:
            connection.remove_termination_listener(on_termination)

    async def _wait_until_lost(self, connection: Any, lost: asyncio.Event) -> None:
        channel = await self._connections.channel(connection)
        await connection.add_listener(channel, self._notified)
        try:
            self.connections_opened += 1
            if self._listening is not None:
                self._listening.set()
            self._on_notified()  # nobody listened until now: readers must read again
            while not connection.is_closed():
                try:
                    async with asyncio.timeout(_PING_EVERY):
                        await lost.wait()
                    return
                except TimeoutError:
                    await connection.fetchval("SELECT 1", timeout=_PING_TIMEOUT)
        finally:
            if not connection.is_closed():  # a pooled connection goes back without the listener
                with contextlib.suppress(Exception):
                    async with asyncio.timeout(_PING_TIMEOUT):
                        await connection.remove_listener(channel, self._notified)

    def _notified(self, _connection: Any, _pid: int, _channel: str, payload: str) -> None:
        if payload != self._own_token:
            self._on_notified()


class PostgresAppendSignal(AppendSignal):
    """The append signal of a PostgreSQL store, also raised by the appends of other processes.

    The first ``wait`` starts the listener (``start_listening`` starts it and waits until it
    listens). ``stop_listening`` stops it until ``allow_listening`` is called again: the store
    does both on ``close`` and ``connect``.
    """

    __slots__ = ("_allowed", "listener")

    def __init__(self, connections: ListenerConnections, own_token: str) -> None:
        super().__init__()
        self.listener = AppendListener(connections, self.notify, own_token)
        """The listener behind the signal."""
        self._allowed = True

    async def start_listening(self, max_wait: float | None = None) -> bool:
        """Start the listener now and wait until it listens; False after ``max_wait`` or when stopped."""
        if not self._allowed:
            return False
        return await self.listener.wait_listening(max_wait)

    async def stop_listening(self) -> None:
        """Stop the listener and keep it stopped until ``allow_listening``."""
        self._allowed = False
        await self.listener.stop()

    def allow_listening(self) -> None:
        """Let the next ``wait`` start the listener again."""
        self._allowed = True

    def _before_wait(self) -> None:
        if self._allowed and not self.listener.running:
            self.listener.start()


class PoolListenerConnections:
    """The listener's connections from a store's ``PostgresPool``, on the channel of its events table."""

    def __init__(self, pool: Any, table: str, quoted_table: str) -> None:
        self._pool = pool
        self._table = table
        self._quoted_table = quoted_table

    async def open(self) -> Any:
        """A dedicated connection (``PostgresPool.open_dedicated``)."""
        return await self._pool.open_dedicated()

    async def close(self, connection: Any) -> None:
        """Close (or give back) the connection; never raises."""
        await self._pool.close_dedicated(connection)

    async def channel(self, connection: Any) -> str:
        """The events table's channel."""
        return await resolve_channel(connection, self._table, self._quoted_table)
