"""The seam between the PostgreSQL stores and ``asyncpg``.

``asyncpg`` is an optional dependency (the ``postgres`` extra), so it is imported here, lazily, the
first time a store is built: ``import lexigram.events`` works without it. The small protocols
below describe the part of ``asyncpg`` the stores use, which keeps the stores typed without the
driver's (absent) type information.

``failures`` turns driver errors into the events exception hierarchy at one boundary: connection
problems become ``EventStoreConnectionError``, failed writes ``EventPersistenceError``, failed
reads ``EventLoadError``. Messages name the server (host, port, database, user), never the password.
"""

from __future__ import annotations

import importlib
from collections.abc import AsyncIterator, Sequence
from contextlib import AbstractAsyncContextManager, asynccontextmanager
from dataclasses import dataclass
from typing import Any, Protocol
from urllib.parse import parse_qs, unquote, urlsplit

from lexigram.events.exceptions import EventLoadError, EventPersistenceError, EventStoreConnectionError

__all__ = [
    "ConnectionLike",
    "PoolLike",
    "ServerAddress",
    "failures",
    "load_asyncpg",
]

INSTALL_HINT = "pip install 'lexigram-events[postgres]'"


class ConnectionLike(Protocol):
    """The part of ``asyncpg.Connection`` the stores use."""

    async def fetch(self, query: str, *args: Any) -> list[Any]:
        """Run a query and return every row."""
        ...

    async def fetchrow(self, query: str, *args: Any) -> Any:
        """Run a query and return its first row, or None."""
        ...

    async def fetchval(self, query: str, *args: Any, column: int = 0) -> Any:
        """Run a query and return one value of its first row, or None."""
        ...

    async def execute(self, query: str, *args: Any) -> str:
        """Run a statement and return its status tag."""
        ...

    async def executemany(self, command: str, args: Any) -> None:
        """Run a statement once per set of arguments, in one batch."""
        ...

    def transaction(self) -> AbstractAsyncContextManager[Any]:
        """A transaction (or a savepoint inside one) as an async context manager."""
        ...

    def is_in_transaction(self) -> bool:
        """True while the connection is inside a transaction."""
        ...

    def get_server_version(self) -> Any:
        """The server version (a named tuple with ``major``)."""
        ...


class PoolLike(Protocol):
    """The part of ``asyncpg.Pool`` the stores use."""

    def acquire(self) -> AbstractAsyncContextManager[Any]:
        """Borrow a connection for the duration of an ``async with`` block."""
        ...

    async def close(self) -> None:
        """Close every connection once it is released."""
        ...

    def terminate(self) -> None:
        """Close every connection at once."""
        ...


def load_asyncpg() -> Any:
    """Import ``asyncpg``, or explain how to install it."""
    try:
        return importlib.import_module("asyncpg")
    except ImportError as exc:
        raise ImportError(f"the PostgreSQL stores need the asyncpg driver: {INSTALL_HINT}") from exc


@dataclass(frozen=True, slots=True)
class ServerAddress:
    """Where a DSN points, without its password: for error messages and logs."""

    host: str
    port: str
    database: str
    user: str

    @classmethod
    def from_dsn(cls, dsn: str) -> ServerAddress:
        """Parse a ``postgresql://`` DSN; parts it does not give are shown as defaults."""
        try:
            parts = urlsplit(dsn)
            query = parse_qs(parts.query)
            host = parts.hostname or query.get("host", ["localhost"])[0]
            port = str(parts.port) if parts.port else query.get("port", ["5432"])[0]
        except ValueError:
            return cls("(unparsable DSN)", "?", "?", "?")
        database = unquote(parts.path.lstrip("/")) or query.get("dbname", [""])[0]
        user = unquote(parts.username or "") or query.get("user", [""])[0]
        return cls(host, port, database or "(default)", user or "(default)")

    def __str__(self) -> str:
        return f"{self.host}:{self.port}/{self.database} as user {self.user}"


_CONNECTION_SQLSTATE_CLASSES = ("08", "57", "53")
"""Connection exceptions, operator intervention (shutdown) and insufficient resources."""


def _is_connection_problem(driver: Any, exc: BaseException) -> bool:
    if isinstance(exc, (OSError, driver.InterfaceError)):
        return True
    sqlstate = getattr(exc, "sqlstate", None)
    return isinstance(sqlstate, str) and sqlstate[:2] in _CONNECTION_SQLSTATE_CLASSES


def describe(exc: BaseException) -> str:
    """One line naming the driver error: its class, SQLSTATE (when any) and message."""
    sqlstate = getattr(exc, "sqlstate", None)
    code = f" [{sqlstate}]" if sqlstate else ""
    text = str(exc).strip() or "no message"
    return f"{type(exc).__name__}{code}: {text}"


@asynccontextmanager
async def failures(
    driver: Any,
    server: ServerAddress,
    action: str,
    *,
    writing: bool,
    command_timeout: float | None,
    missing_table_hint: str = "",
) -> AsyncIterator[None]:
    """Translate driver errors raised inside the block into the events exceptions.

    ``action`` completes "could not ..." in the message (for example "append to stream 'o-1'").
    Errors of the events hierarchy (``ConcurrencyError``, ``EventLoadError`` from decoding) pass
    through unchanged.
    """
    error: type[EventPersistenceError] | type[EventLoadError] = (
        EventPersistenceError if writing else EventLoadError
    )
    try:
        yield
    except TimeoutError as exc:
        limit = f"{command_timeout:g} s" if command_timeout else "the configured limit"
        raise error(
            f"could not {action} on PostgreSQL at {server}: the statement ran longer than {limit} "
            "(command_timeout); raise command_timeout or look for a lock held by another session",
            details={"server": str(server)},
        ) from exc
    except (OSError, driver.InterfaceError, driver.PostgresError) as exc:
        if isinstance(exc, driver.UndefinedTableError):
            raise error(
                f"could not {action}: {describe(exc)}. {missing_table_hint}".rstrip(),
                details={"server": str(server)},
            ) from exc
        if _is_connection_problem(driver, exc):
            raise EventStoreConnectionError(
                f"the connection to PostgreSQL at {server} failed while trying to {action}: "
                f"{describe(exc)}. Check that the server is up and reachable; the operation may be retried",
                details={"server": str(server)},
            ) from exc
        raise error(
            f"could not {action} on PostgreSQL at {server}: {describe(exc)}",
            details={"server": str(server), "sqlstate": getattr(exc, "sqlstate", None)},
        ) from exc


def connection_failure(server: ServerAddress, exc: BaseException) -> EventStoreConnectionError:
    """The error for a pool that could not be opened."""
    return EventStoreConnectionError(
        f"cannot connect to PostgreSQL at {server}: {describe(exc)}. Check the dsn (host, port, "
        "database, user and password) and that the server accepts connections",
        details={"server": str(server)},
    )


def status_count(status: str) -> int:
    """The row count at the end of a status tag such as ``DELETE 3``."""
    last = status.rsplit(" ", 1)[-1]
    return int(last) if last.isdigit() else 0


def as_text_list(values: Sequence[bytes]) -> list[str]:
    """Serializer output (UTF-8 JSON bytes) as the text values sent for a ``jsonb`` column."""
    return [value.decode() if isinstance(value, (bytes, bytearray)) else str(value) for value in values]
