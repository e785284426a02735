"""Shared test fixtures."""

from __future__ import annotations

import importlib.util
import os
import sys
from collections.abc import Iterator
from pathlib import Path
from types import ModuleType

import pytest

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
