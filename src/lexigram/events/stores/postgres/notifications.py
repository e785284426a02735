"""Telling other processes that events were appended: the channel and the sender of ``NOTIFY``.

Every PostgreSQL event store on the same events table (in any process) uses one notification
channel, named after the table and its schema. After an append commits, the store sends a
``NOTIFY`` on it; the stores listening there (see ``listening``) wake their readers.

Why the sending is in the background
------------------------------------
A transaction that notifies takes a database-wide lock while it commits, so notifying inside the
append's transaction would serialise the commits of every appender (and defeat group commit). The
store therefore never notifies inside an append: the ``AppendNotifier`` sends the ``NOTIFY`` after
the append has committed, in its own short transaction on a pooled connection, off the append's
critical path. It sends one at a time and coalesces: appends that commit while a notification is
in flight produce exactly one more afterwards, however many there were. Consecutive notifications
start at least ``min_interval`` (5 ms) apart: a steady stream of appends then costs the server,
the client and every listener at most 200 notifications a second instead of one per append (on
a sequential writer, one per append added about a third to the client's CPU per append), for at
most 5 ms of extra delay; a notification after a quiet spell leaves at once. Its errors are
logged, never raised into appends (readers still poll, so a lost notification only delays them).
"""

from __future__ import annotations

import asyncio
import logging
import zlib
from collections.abc import Callable
from contextlib import AbstractAsyncContextManager
from typing import Any

from lexigram.events.stores.postgres.driver import describe
from lexigram.events.stores.postgres.schema import quote

__all__ = ["AppendNotifier", "append_channel", "resolve_channel"]

logger = logging.getLogger("lexigram.events.stores.postgres")

_CHANNEL_LIMIT = 63
"""PostgreSQL truncates identifiers, channel names included, to 63 bytes."""
_CHANNEL_PREFIX = "lexigram:"

_TABLE_SCHEMA = """
SELECT COALESCE(
    (SELECT n.nspname FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
      WHERE c.oid = to_regclass($1)),
    current_schema())"""
"""The schema of the events table (where it would be created when it does not exist yet)."""

_MIN_INTERVAL = 0.005
"""Seconds between the starts of two notifications of one store."""

_CLOSE_WAIT = 5.0
"""Seconds ``close`` waits for a pending notification to be sent before abandoning it."""


def append_channel(schema: str, table: str) -> str:
    """The notification channel of the events table ``table`` in ``schema``.

    ``lexigram:<schema>.<table>``; a name longer than 63 bytes keeps its first 54 bytes and ends
    with a CRC-32 of the full name, so it stays distinct and PostgreSQL never truncates it.
    """
    name = f"{_CHANNEL_PREFIX}{schema}.{table}"
    encoded = name.encode()
    if len(encoded) <= _CHANNEL_LIMIT:
        return name
    head = encoded[: _CHANNEL_LIMIT - 9].decode(errors="ignore")
    return f"{head}~{zlib.crc32(encoded):08x}"


async def resolve_channel(connection: Any, table: str, quoted_table: str) -> str:
    """The channel of ``table`` (``quoted_table`` in SQL), its schema looked up on ``connection``."""
    schema = await connection.fetchval(_TABLE_SCHEMA, quoted_table)
    return append_channel(str(schema or "public"), table)


class AppendNotifier:
    """Sends a ``NOTIFY`` after appends, in the background, one at a time, coalescing bursts.

    ``request()`` is all an append does: it marks a notification as due and wakes the sender
    task (starting it on first use). ``close()`` sends what is still due (waiting a few seconds at
    most) and stops the task; ``reopen()`` lets a closed notifier start again.

    ``connection`` lends a pooled connection; ``table`` and ``quoted_table`` name the events table;
    ``token`` is sent as the payload, so this store's own listener can ignore the echo;
    ``min_interval`` spaces the starts of consecutive notifications.
    """

    def __init__(
        self,
        connection: Callable[[], AbstractAsyncContextManager[Any]],
        table: str,
        quoted_table: str,
        token: str,
        *,
        min_interval: float = _MIN_INTERVAL,
    ) -> None:
        if not token.isalnum():
            raise ValueError(f"the notification token must be letters and digits, got {token!r}")
        self._connection = connection
        self._table = table
        self._quoted_table = quoted_table
        self.token = token
        """The payload of this store's notifications."""
        self.min_interval = min_interval
        """Seconds between the starts of two notifications."""
        self._channel: str | None = None
        self._statement: str | None = None
        self._due = False
        self._closed = False
        self._wake: asyncio.Event | None = None
        self._task: asyncio.Task[None] | None = None
        self.sent = 0
        """Notifications sent so far (for tests and monitoring)."""

    @property
    def channel(self) -> str | None:
        """The channel notifications go to, once the first one resolved it (None before)."""
        return self._channel

    def request(self) -> None:
        """Ask for a notification to be sent soon (the append that calls this has committed)."""
        self._due = True
        task, wake = self._task, self._wake
        if task is not None and wake is not None and not task.done():
            wake.set()
        elif not self._closed:
            self._wake = asyncio.Event()
            loop = asyncio.get_running_loop()
            self._task = loop.create_task(self._send_while_due(), name="append-notifier")

    def reopen(self) -> None:
        """Allow sending again after ``close()`` (the store was connected again)."""
        self._closed = False

    async def close(self) -> None:
        """Send the notification still due, then stop (abandoning it after a few seconds). Idempotent."""
        self._closed = True
        task, self._task = self._task, None
        wake = self._wake
        if task is None or task.done():
            return
        if wake is not None:
            wake.set()
        done, _pending = await asyncio.wait({task}, timeout=_CLOSE_WAIT)
        if not done:
            task.cancel()
            await asyncio.gather(task, return_exceptions=True)

    async def _send_while_due(self) -> None:
        wake = self._wake
        assert wake is not None
        loop = asyncio.get_running_loop()
        next_start = loop.time()
        while True:
            if self._due:
                pause = next_start - loop.time()
                if pause > 0 and not self._closed:
                    await asyncio.sleep(pause)  # appends meanwhile ride on this notification
                next_start = loop.time() + self.min_interval
                self._due = False
                await self._send()
                continue
            if self._closed:
                return
            wake.clear()
            await wake.wait()

    async def _send(self) -> None:
        try:
            async with self._connection() as connection:
                if self._statement is None:
                    channel = await resolve_channel(connection, self._table, self._quoted_table)
                    self._statement = f"NOTIFY {quote(channel)}, '{self.token}'"
                    self._channel = channel
                await connection.execute(self._statement)  # no parameters: one simple-protocol message
            self.sent += 1
        except Exception as exc:  # never raised into appends: readers fall back on polling
            logger.warning(
                "could not notify other processes of appends to %s: %s", self._table, describe(exc)
            )
