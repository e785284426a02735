"""Shared test fixtures."""

from __future__ import annotations

import asyncio
import importlib.util
import os
import sys
import uuid
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from types import ModuleType
from typing import Any

import asyncpg
import pytest

from lexigram.events.config import PostgresEventStoreConfig, SqliteConfig
from lexigram.events.decorators import clear_handler_registry


@pytest.fixture(autouse=True)
def _fresh_handler_registry() -> Iterator[None]:
    """Each test starts and ends with an empty global handler registry."""
    clear_handler_registry()
    yield
    clear_handler_registry()


# --- real servers -------------------------------------------------------------------------------
# Backend tests use real PostgreSQL, Redis and MongoDB-wire servers. A server whose URL is already in
# the environment is used as it is; otherwise scripts/servers.py starts one for the session (and
# exports its URL, so the seed examples run in subprocesses see it too). Under CI=true a server that
# cannot start fails the run; elsewhere the tests that need it are skipped with the reason.


def _servers_module() -> ModuleType:
    path = Path(__file__).resolve().parents[1] / "scripts" / "servers.py"
    spec = importlib.util.spec_from_file_location("lexigram_test_servers", path)
    assert spec is not None
    assert spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module  # dataclasses look their module up while it executes
    spec.loader.exec_module(module)
    return module


_SERVERS = _servers_module()


def _server_url(name: str, request: pytest.FixtureRequest) -> str:
    env_name = _SERVERS.ENV_NAMES[name]
    url = os.environ.get(env_name)
    if url:
        return url
    try:
        (server,) = _SERVERS.start([name])
    except Exception as exc:
        message = f"the {name} test server could not start: {exc}"
        if os.environ.get("CI") == "true":
            pytest.fail(message)
        pytest.skip(message)
    os.environ[env_name] = server.url

    def stop() -> None:
        os.environ.pop(env_name, None)
        _SERVERS.stop(server)

    request.session.config.add_cleanup(stop)
    return str(server.url)


@pytest.fixture(scope="session")
def postgres_dsn(request: pytest.FixtureRequest) -> str:
    """A PostgreSQL DSN for a database the tests may use freely."""
    return _server_url("postgres", request)


@pytest.fixture(scope="session")
def redis_url(request: pytest.FixtureRequest) -> str:
    """A Redis URL (database 0) the tests may use freely."""
    return _server_url("redis", request)


@pytest.fixture(scope="session")
def mongo_uri(request: pytest.FixtureRequest) -> str:
    """A MongoDB wire-compatible server URI the tests may use freely."""
    return _server_url("mongo", request)


# --- tables of a test's own ---------------------------------------------------------------------

_PREFIXED_TABLES = (
    "events_table",
    "snapshots_table",
    "checkpoints_table",
    "parked_table",
    "leases_table",
    "idempotency_table",
    "dead_letters_table",
    "sagas_table",
)


class PostgresConfigs:
    """Builds PostgreSQL configs whose tables no other test uses: every table name gets a prefix.

    A setting may hold ``{prefix}``, replaced by the config's prefix; ``prefixes`` lists them all.
    """

    def __init__(self, dsn: str) -> None:
        self.dsn = dsn
        self.prefixes: list[str] = []

    def __call__(self, **settings: Any) -> PostgresEventStoreConfig:
        prefix = f"t{uuid.uuid4().hex[:12]}"
        self.prefixes.append(prefix)
        for name in _PREFIXED_TABLES:
            settings.setdefault(name, f"{{prefix}}_{name.removesuffix('_table')}")
        for name, value in settings.items():
            if isinstance(value, str):
                settings[name] = value.format(prefix=prefix)
        settings.setdefault("pool_max_size", 12)
        return PostgresEventStoreConfig(dsn=self.dsn, **settings)

    async def drop_tables(self) -> None:
        """Drop every table whose name starts with one of the prefixes."""
        connection = await asyncpg.connect(self.dsn)
        try:
            for prefix in self.prefixes:
                tables = await connection.fetch(
                    "SELECT tablename FROM pg_tables WHERE schemaname = 'public' AND tablename LIKE $1",
                    prefix.replace("_", r"\_") + "%",
                )
                for (table,) in tables:
                    await connection.execute(f'DROP TABLE IF EXISTS "{table}" CASCADE')
        finally:
            await connection.close()


@pytest.fixture
def pg_config(postgres_dsn: str) -> Iterator[PostgresConfigs]:
    """PostgreSQL configs with tables of their own; the tables are dropped after the test."""
    configs = PostgresConfigs(postgres_dsn)
    yield configs
    if configs.prefixes:  # from a thread of its own: the fixture may be torn down inside the test's loop
        with ThreadPoolExecutor(max_workers=1) as thread:
            thread.submit(asyncio.run, configs.drop_tables()).result()


@pytest.fixture
def sqlite_config(tmp_path: Path) -> SqliteConfig:
    """A config on a new database file in the test's folder."""
    return SqliteConfig(database=str(tmp_path / "app.db"))
