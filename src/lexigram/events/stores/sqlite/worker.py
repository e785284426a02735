"""The one background thread of a SQLite store, for the work that waits for the disk.

Short statements run on the event loop (a thread hop costs about as much as the statement itself),
but some work waits for the disk for longer than the loop may be held: commits that ``fsync``
(``synchronous=FULL``/``EXTRA``, or any rollback-journal mode), very large appends, WAL
checkpoints and the checkpoint SQLite runs when the last connection to a file closes. That work
goes to a ``SqliteWorker``, created the first time it is needed.

``WalPacer`` replaces SQLite's automatic checkpoint, which would run inside a commit on the loop:
the store turns ``wal_autocheckpoint`` off, and once about as many WAL pages have been written as
SQLite's default threshold (1000), the store's next write first runs a ``PASSIVE`` checkpoint on
the worker. Like the automatic checkpoint, it happens between two of the store's own writes, so
it can copy every frame and the next commit starts the WAL file over (a checkpoint racing
continuous writes never catches up, and the WAL would grow without bound). The page count is an
estimate the store gives per commit; each complete checkpoint reports the real number of frames,
and the estimate is scaled to match.
"""

from __future__ import annotations

import asyncio
import logging
import sqlite3
from collections.abc import Callable
from concurrent.futures import Future, ThreadPoolExecutor
from typing import TypeVar

__all__ = ["SqliteWorker", "WalPacer"]

T = TypeVar("T")

logger = logging.getLogger("lexigram.events.stores.sqlite")

_CHECKPOINT_PAGES = 1000
"""Checkpoint after about this many WAL pages, SQLite's own default."""


class SqliteWorker:
    """A single background thread, started on first use, that runs blocking SQLite work in order."""

    def __init__(self, name: str) -> None:
        self._name = name
        self._executor: ThreadPoolExecutor | None = None

    def submit(self, work: Callable[[], T]) -> Future[T]:
        """Queue ``work`` on the thread and return its future (fire and forget)."""
        if self._executor is None:
            self._executor = ThreadPoolExecutor(max_workers=1, thread_name_prefix=self._name)
        return self._executor.submit(work)

    async def run(self, work: Callable[[], T]) -> T:
        """Run ``work`` on the thread and return its result, without blocking the event loop.

        If the awaiting task is cancelled, this still waits for ``work`` to finish before the
        ``CancelledError`` propagates: the work uses the store's connection, which must not be
        handed to anyone else while the thread holds it.
        """
        future = asyncio.wrap_future(self.submit(work))
        try:
            return await asyncio.shield(future)
        except asyncio.CancelledError:
            while not future.done():
                try:
                    await asyncio.wait([future])
                except asyncio.CancelledError:
                    continue
            if not future.cancelled():
                future.exception()  # retrieved: the caller was cancelled and will not see it
            raise

    def stop(self) -> None:
        """Let the thread end once its queue is empty (nothing is queued when the store closes)."""
        executor, self._executor = self._executor, None
        if executor is not None:
            executor.shutdown(wait=False)


class WalPacer:
    """Decides when a store's next write should first checkpoint the WAL, from estimated page counts."""

    def __init__(self) -> None:
        self._estimated = 0.0
        self._scale = 1.0

    def wrote(self, pages: int) -> None:
        """Count the pages a commit added to the WAL (an estimate)."""
        self._estimated += pages

    @property
    def due(self) -> bool:
        """True once about ``_CHECKPOINT_PAGES`` pages were written since the last checkpoint."""
        return self._estimated * self._scale >= _CHECKPOINT_PAGES

    def checkpoint(self, connection: sqlite3.Connection) -> None:
        """Run a passive checkpoint (on the worker thread) and recalibrate the estimate."""
        estimated, self._estimated = self._estimated, 0.0
        try:
            busy, frames, copied = connection.execute("PRAGMA wal_checkpoint(PASSIVE)").fetchone()
        except sqlite3.Error as exc:
            logger.warning("SQLite WAL checkpoint failed (the next one retries): %s", exc)
            return
        if not busy and frames > 0 and copied == frames and estimated > 0:
            self._scale = min(max(frames / estimated, 0.1), 20.0)
