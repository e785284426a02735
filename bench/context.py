"""Where the benchmarks run: the chosen backends, the PostgreSQL server, sizes and repeats.

PostgreSQL: ``--pg-dsn`` uses an existing server. Otherwise a full run starts a throwaway server
with fsync on (``scripts/servers.py``) and stops it at the end; ``--quick`` uses
``LEXIGRAM_TEST_PG_DSN`` when it is set (the test suite's server, usually fsync off), else starts a
throwaway server with fsync off, and skips PostgreSQL with a printed reason when none can start.
Whatever the source, the server's actual ``fsync`` and ``synchronous_commit`` are queried and
reported. Tables get a per-run prefix and are dropped afterwards, so a shared database is left
as it was.
"""

from __future__ import annotations

import asyncio
import importlib.util
import os
import secrets
import shutil
import sys
import tempfile
from dataclasses import dataclass, field
from pathlib import Path
from types import ModuleType
from typing import Any

SQLITE = "sqlite"
POSTGRES = "postgres"
BACKENDS = (SQLITE, POSTGRES)


@dataclass
class PgServer:
    """A PostgreSQL server the benchmarks may use, and its durability settings as reported by it."""

    dsn: str
    version: str = ""
    fsync: str = ""
    synchronous_commit: str = ""
    source: str = ""
    started: Any = None

    @property
    def durable(self) -> bool:
        """True when commits wait for the disk (fsync and synchronous_commit on)."""
        return self.fsync == "on" and self.synchronous_commit != "off"

    def describe(self) -> dict[str, Any]:
        """The settings printed with the figures."""
        return {
            "postgres": self.version,
            "fsync": self.fsync,
            "synchronous_commit": self.synchronous_commit,
            "postgres_source": self.source,
        }


@dataclass
class BenchContext:
    """Everything a workload needs to know to run."""

    quick: bool
    backends: list[str]
    workdir: Path
    pg: PgServer | None = None
    eventsourcing: bool = False
    notes: list[str] = field(default_factory=list)
    checks: list[tuple[str, bool]] = field(default_factory=list)
    prefix: str = field(default_factory=lambda: f"bench_{secrets.token_hex(3)}")
    _counter: int = 0

    @property
    def repeats(self) -> int:
        """How many times each measurement is repeated (the best run is reported)."""
        return 1 if self.quick else 3

    def durable_backends(self) -> list[str]:
        """The chosen durable backends that are available in this run."""
        return [b for b in self.backends if b != POSTGRES or self.pg is not None]

    def tag(self, what: str) -> str:
        """A fresh name for a set of tables (or a file) in this run."""
        self._counter += 1
        return f"{self.prefix}_{what}_{self._counter}"

    def check(self, message: str, ok: bool) -> None:
        """Record a correctness check made during the run (printed with the figures)."""
        self.checks.append((message, ok))

    def sqlite_file(self, tag: str) -> str:
        """A new SQLite database file in the run's temporary folder."""
        return str(self.workdir / f"{tag}.db")


def _servers_module() -> ModuleType:
    path = Path(__file__).resolve().parents[1] / "scripts" / "servers.py"
    spec = importlib.util.spec_from_file_location("lexigram_bench_servers", path)
    assert spec is not None
    assert spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module
    spec.loader.exec_module(module)
    return module


async def _describe(server: PgServer) -> None:
    import asyncpg

    connection = await asyncpg.connect(server.dsn, timeout=10)
    try:
        server.version = str(await connection.fetchval("SHOW server_version"))
        server.fsync = str(await connection.fetchval("SHOW fsync"))
        server.synchronous_commit = str(await connection.fetchval("SHOW synchronous_commit"))
    finally:
        await connection.close()


def _find_postgres(quick: bool, dsn: str | None) -> tuple[PgServer | None, str]:
    """The server to use, or None and the reason there is none."""
    if dsn:
        return PgServer(dsn, source="--pg-dsn"), ""
    test_dsn = os.environ.get("LEXIGRAM_TEST_PG_DSN")
    if quick and test_dsn:
        return PgServer(test_dsn, source="LEXIGRAM_TEST_PG_DSN"), ""
    try:
        servers = _servers_module()
        started = servers.start_postgres(fsync=not quick)
    except Exception as exc:
        return None, f"PostgreSQL skipped: no server could start ({exc}); pass --pg-dsn to use one"
    source = "throwaway server (scripts/servers.py, fsync " + ("off)" if quick else "on)")
    return PgServer(started.url, source=source, started=started), ""


def open_context(quick: bool, backends: list[str], pg_dsn: str | None) -> BenchContext:
    """Prepare the run: a temporary folder for SQLite files and, when chosen, a PostgreSQL server."""
    context = BenchContext(quick, backends, Path(tempfile.mkdtemp(prefix="lexigram-bench-")))
    context.eventsourcing = importlib.util.find_spec("eventsourcing") is not None
    if not context.eventsourcing:
        context.notes.append(
            "eventsourcing comparison skipped: the package is not installed "
            "(pip install 'lexigram-events[bench]')"
        )
    if POSTGRES in backends:
        server, reason = _find_postgres(quick, pg_dsn)
        if server is None:
            context.notes.append(reason)
        else:
            try:
                asyncio.run(_describe(server))
            except Exception as exc:
                close_context(context, server)
                if not quick and pg_dsn:
                    raise
                context.notes.append(f"PostgreSQL skipped: cannot connect ({exc})")
                server = None
        context.pg = server
        if server is not None and not server.durable:
            context.notes.append(
                f"PostgreSQL runs with fsync={server.fsync}, synchronous_commit={server.synchronous_commit}: "
                "these figures are not durable ones"
            )
    return context


def close_context(context: BenchContext, server: PgServer | None = None) -> None:
    """Stop a server the run started and remove the temporary folder."""
    server = server or context.pg
    if server is not None and server.started is not None:
        _servers_module().stop(server.started)
        server.started = None
    shutil.rmtree(context.workdir, ignore_errors=True)
