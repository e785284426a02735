"""MongoDB connections: configs, unreachable servers, secrets in messages, and the optional driver."""

from __future__ import annotations

import socket
import subprocess
import sys
import textwrap

import pytest

from lexigram.events.exceptions import ConfigurationError, EventStoreConnectionError
from lexigram.events.stores.mongodb import MongoDBConfig, MongoDBDocumentStore, MongoDBEventStore


def _closed_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
    return port


async def test_an_unreachable_server_is_reported_without_the_password() -> None:
    uri = f"mongodb://app:hunter2@127.0.0.1:{_closed_port()}/?serverSelectionTimeoutMS=300"
    store = MongoDBEventStore.from_config(MongoDBConfig(uri=uri))
    with pytest.raises(EventStoreConnectionError) as caught:
        await store.connect()
    await store.close()

    message = str(caught.value)
    assert "hunter2" not in message
    assert "app:***@127.0.0.1" in message
    assert "hunter2" not in repr(store)


def test_the_config_keeps_the_uri_secret_and_checks_its_values() -> None:
    config = MongoDBConfig(uri="mongodb://app:hunter2@db:27017", database="shop")
    assert "hunter2" not in repr(config)
    assert config.secret_uri == "mongodb://app:hunter2@db:27017"
    assert MongoDBConfig().database == "lexigram_events"
    with pytest.raises(ConfigurationError, match="mongodb://") as caught:
        MongoDBConfig(uri="postgresql://app:hunter2@db/shop")
    assert "hunter2" not in str(caught.value)
    with pytest.raises(ConfigurationError, match="database"):
        MongoDBConfig(database="my.shop")
    with pytest.raises(ConfigurationError, match="collection name"):
        MongoDBConfig(counters_collection="system.counters")
    with pytest.raises(ConfigurationError, match="max_snapshots_per_aggregate"):
        MongoDBConfig(max_snapshots_per_aggregate=0)
    with pytest.raises(ConfigurationError, match="mongodb://"):
        MongoDBDocumentStore("http://db:27017")


def test_the_package_imports_without_the_driver_and_names_the_extra() -> None:
    script = textwrap.dedent(
        """
        import sys
        sys.modules["pymongo"] = None  # as if the mongo extra were not installed
        import lexigram.events
        from lexigram.events import MongoDBEventStore, MongoDBSnapshotStore
        from lexigram.events.stores.mongodb import MongoDBConfig, MongoDBDocumentStore
        builders = [
            lambda: MongoDBDocumentStore("mongodb://localhost"),
            lambda: MongoDBSnapshotStore(MongoDBConfig()),
        ]
        for build in builders:
            try:
                build()
            except lexigram.events.ConfigurationError as error:
                print(error)
        """
    )
    result = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, check=True)
    assert result.stdout.count("pip install 'lexigram-events[mongo]'") == 2
