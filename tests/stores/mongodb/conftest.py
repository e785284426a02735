"""Fixtures for the MongoDB stores: a MongoDB wire-compatible server (secantusdb), one database per test."""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator

import pytest

from lexigram.events.stores.mongodb import MongoDBConfig, MongoDBDocumentStore, MongoDBEventStore


@pytest.fixture
def database() -> str:
    """A database name no other test uses."""
    return f"test_{uuid.uuid4().hex[:12]}"


@pytest.fixture
def mongo_config(mongo_uri: str, database: str) -> MongoDBConfig:
    """The stores' config for this test's database."""
    return MongoDBConfig(uri=mongo_uri, database=database)


@pytest.fixture
async def document_store(mongo_uri: str, database: str) -> AsyncIterator[MongoDBDocumentStore]:
    """A connection to the test server; the test's database is dropped afterwards."""
    store = MongoDBDocumentStore(mongo_uri, database)
    yield store
    await store.client.drop_database(database)
    await store.close()


@pytest.fixture
async def mongo_event_store(
    document_store: MongoDBDocumentStore, mongo_config: MongoDBConfig
) -> AsyncIterator[MongoDBEventStore]:
    """An empty, connected event store."""
    store = MongoDBEventStore(document_store, mongo_config)
    await store.connect()
    yield store
    await store.close()
