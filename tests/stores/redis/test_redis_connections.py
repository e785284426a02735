"""RedisStateStore: URLs, unreachable servers, secrets in messages, and the optional redis driver."""

from __future__ import annotations

import socket
import subprocess
import sys
import textwrap

import pytest

from lexigram.events.exceptions import ConfigurationError, EventStoreConnectionError
from lexigram.events.stores.redis import RedisEventStore, RedisStateStore


def _closed_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
    return port


async def test_an_unreachable_server_is_reported_without_the_password() -> None:
    state_store = RedisStateStore(f"redis://app:hunter2@127.0.0.1:{_closed_port()}/0")
    store = RedisEventStore(state_store)
    try:
        with pytest.raises(EventStoreConnectionError) as caught:
            await store.connect()
        with pytest.raises(EventStoreConnectionError):
            await store.get_stream_version("cart-1")
    finally:
        await state_store.close()

    message = str(caught.value)
    assert "hunter2" not in message
    assert "app:***@127.0.0.1" in message
    assert "hunter2" not in repr(state_store)


def test_only_redis_urls_are_accepted_and_the_password_is_not_echoed() -> None:
    with pytest.raises(ConfigurationError, match="redis://") as caught:
        RedisStateStore("http://user:hunter2@localhost:6379")
    assert "hunter2" not in str(caught.value)


async def test_the_state_store_reads_values_and_runs_scripts(redis_url: str, namespace: str) -> None:
    state_store = RedisStateStore(redis_url)
    try:
        key = f"{namespace}:greeting"
        reply = await state_store.run_script(
            "redis.call('SET', KEYS[1], ARGV[1]) return redis.call('STRLEN', KEYS[1])", [key], ["hello"]
        )
        assert reply == 5
        assert await state_store.get(key) == b"hello"
        assert await state_store.get(f"{namespace}:missing") is None
        await state_store.client.delete(key)
    finally:
        await state_store.close()


def test_the_package_imports_without_the_driver_and_names_the_extra() -> None:
    script = textwrap.dedent(
        """
        import sys
        sys.modules["redis"] = None  # as if the redis extra were not installed
        import lexigram.events
        from lexigram.events import RedisEventStore
        from lexigram.events.stores.redis import RedisStateStore
        try:
            RedisStateStore("redis://localhost:6379/0")
        except lexigram.events.ConfigurationError as error:
            print(error)
        """
    )
    result = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, check=True)
    assert "pip install 'lexigram-events[redis]'" in result.stdout
